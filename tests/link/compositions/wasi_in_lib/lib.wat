;; lib talks to the host's WASI (fd_write reads its iovecs from lib's memory)
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from lib, n=?\n")
  ;; say(n): patch the digit, write the line to stdout; returns the errno
  (func (export "say") (param $n i32) (result i32)
    i32.const 82 local.get $n i32.const 10 i32.rem_u i32.const 48 i32.add i32.store8
    i32.const 0 i32.const 64 i32.store
    i32.const 4 i32.const 20 i32.store
    i32.const 1 i32.const 0 i32.const 1 i32.const 8 call $fd_write)
  (func (export "written") (result i32) i32.const 8 i32.load))
