;; counter: linked twice (instances c1 and c2), each with its own global and memory
(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "mem") 1)
  (global $n (export "n") (mut i32) (i32.const 0))
  (func (export "inc") (param $by i32) (result i32)
    global.get $n local.get $by i32.add global.set $n
    i32.const 0 global.get $n i32.store
    global.get $n local.get $by call $log
    global.get $n))
