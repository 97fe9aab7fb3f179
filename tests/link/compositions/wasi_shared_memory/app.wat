;; app and lib both call the host's WASI, and share one memory (lib's, which app
;; imports): allowed, and that memory is the exported one
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "lib" "memory" (memory 1))
  (import "lib" "log" (func $log (param i32) (result i32)))
  (export "memory" (memory 0))
  (data (i32.const 100) "app says hi\n")
  (func (export "run") (param $n i32) (result i32)
    i32.const 0 i32.const 100 i32.store
    i32.const 4 i32.const 12 i32.store
    i32.const 1 i32.const 0 i32.const 1 i32.const 8 call $fd_write drop
    local.get $n call $log))
