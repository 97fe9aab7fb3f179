;; a: the head of the chain. Owns the log memory, the write position n and record().
(module
  (memory (export "log") 1)
  (global $n (export "n") (mut i32) (i32.const 0))
  (global $slot (export "slot") (mut i32) (i32.const -1))
  (data (i32.const 100) "aaaaaaaa")
  (func $record (export "record") (param i32)
    global.get $n local.get 0 i32.store8
    global.get $n i32.const 1 i32.add global.set $n)
  (func $start
    global.get $n global.set $slot
    i32.const 0x61 call $record)
  (start $start))
