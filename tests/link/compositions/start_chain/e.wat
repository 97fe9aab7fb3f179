;; e: imports the log, n and record from d (re-exports, all defined in a), records
;; 'e' from its start function and re-exports them for the next one.
(module
  (import "d" "log" (memory $log 1))
  (import "d" "n" (global $n (mut i32)))
  (import "d" "record" (func $record (param i32)))
  (export "log" (memory $log))
  (export "n" (global $n))
  (export "record" (func $record))
  (global $slot (export "slot") (mut i32) (i32.const -1))
  (func $start
    global.get $n global.set $slot
    i32.const 0x65 call $record)
  (data (i32.const 104) "eeee")
  (func (export "again") (param i32) (result i32)
    local.get 0 call $record
    global.get $n)
  (start $start))
