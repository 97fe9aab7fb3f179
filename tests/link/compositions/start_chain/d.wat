;; d: imports the log, n and record from c (re-exports, all defined in a), records
;; 'd' from its start function and re-exports them for the next one.
(module
  (import "c" "log" (memory $log 1))
  (import "c" "n" (global $n (mut i32)))
  (import "c" "record" (func $record (param i32)))
  (export "log" (memory $log))
  (export "n" (global $n))
  (export "record" (func $record))
  (global $slot (export "slot") (mut i32) (i32.const -1))
  (func $start
    global.get $n global.set $slot
    i32.const 0x64 call $record)
  (start $start))
