;; Two things, then an exit: straight from app, or from svc inside a call.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "test:exit/api" "[constructor]thing" (func $mk (param i32) (result i32)))
  (import "test:exit/api" "dtors" (func $dtors (result i32)))
  (import "test:exit/hold" "hold-and-exit" (func $hold (param i32 i32)))
  (func (export "dtors") (result i32) call $dtors)
  (func (export "direct") (param $code i32)
    i32.const 1 call $mk drop
    i32.const 2 call $mk drop
    local.get $code call $exit)
  (func (export "in_call") (param $code i32) (local $t i32)
    i32.const 1 call $mk local.set $t
    i32.const 2 call $mk drop
    local.get $t local.get $code call $hold))
