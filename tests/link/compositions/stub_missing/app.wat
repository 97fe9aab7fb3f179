;; app imports two functions nobody provides; --stub-missing turns them into functions
;; that trap, named so the trap's stack trace says what is missing.
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (import "env" "g" (func $g (param i64) (result i64)))
  (import "lib" "twice" (func $twice (param i32) (result i32)))
  (import "lib" "calls_f" (func $lib_calls_f (param i32) (result i32)))
  (global $progress (export "progress") (mut i32) (i32.const 0))
  (func (export "ok") (param i32) (result i32)
    local.get 0 call $twice)
  (func (export "call_f") (param i32) (result i32)
    i32.const 1 global.set $progress
    local.get 0 call $f
    i32.const 2 global.set $progress)
  (func (export "call_g") (param i64) (result i64)
    local.get 0 call $g)
  (func (export "via_lib") (param i32) (result i32)
    local.get 0 call $lib_calls_f))
