;; app imports "math" (no instance has that name: --wire sends it to slow), two
;; instances of the same counter module, and host imports also imported by others
(module
  (import "math" "op" (func $op (param i32 i32) (result i32)))
  (import "c1" "inc" (func $inc1 (param i32) (result i32)))
  (import "c2" "inc" (func $inc2 (param i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "shared" (memory 1))
  (import "env" "base" (global $base i32))
  (func (export "run") (param i32) (result i32)
    local.get 0 global.get $base call $op
    i32.const 1 call $inc1 drop
    i32.const 2 call $inc1 drop
    i32.const 10 call $inc2 drop
    i32.const 0 local.get 0 i32.store
    i32.const 7 local.get 0 call $log))
