;; Exits the process in the middle of a call that lent it a handle.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "test:exit/hold#hold-and-exit") (param $t i32) (param $code i32)
    local.get $code call $exit))
