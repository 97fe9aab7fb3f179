;; c: imports the log, n and record from b (re-exports, all defined in a), records
;; 'c' from its start function and re-exports them for the next one.
(module
  (import "b" "log" (memory $log 1))
  (import "b" "n" (global $n (mut i32)))
  (import "b" "record" (func $record (param i32)))
  (export "log" (memory $log))
  (export "n" (global $n))
  (export "record" (func $record))
  (global $slot (export "slot") (mut i32) (i32.const -1))
  (func $start
    global.get $n global.set $slot
    i32.const 0x63 call $record)
  (start $start))
