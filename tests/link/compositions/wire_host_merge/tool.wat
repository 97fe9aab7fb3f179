(module
  (import "math" "op" (func $op (param i32 i32) (result i32)))
  (import "env" "shared" (memory 1))
  (import "env" "base" (global $base i32))
  (import "c2" "n" (global $c2n (mut i32)))
  (func (export "run") (param i32) (result i32)
    i32.const 4 i32.load global.get $base call $op
    local.get 0 i32.add
    global.get $c2n i32.add))
