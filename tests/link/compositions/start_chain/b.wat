;; b: imports the log, n and record from a (re-exports, all defined in a), records
;; 'b' from its start function and re-exports them for the next one.
(module
  (import "a" "log" (memory $log 1))
  (import "a" "n" (global $n (mut i32)))
  (import "a" "record" (func $record (param i32)))
  (export "log" (memory $log))
  (export "n" (global $n))
  (export "record" (func $record))
  (global $slot (export "slot") (mut i32) (i32.const -1))
  (func $start
    global.get $n global.set $slot
    i32.const 0x62 call $record)
  (start $start))
