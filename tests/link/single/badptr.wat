;; A WASI command passing the host bad pointers: iovec arrays and buffers running past
;; the end of its memory or far beyond it, an nwritten pointer out of bounds, a path
;; past the end. Each errno is printed ("name: N"); with `link --memory single` it is the
;; growable region at base K > 0, its WASI calls go through the pointer wrappers, and the
;; host must answer exactly as it does to the program directly.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "iovs past the end: ")
  (data (i32.const 288) "iovs far beyond: ")
  (data (i32.const 320) "buffer past the end: ")
  (data (i32.const 352) "buffer far beyond: ")
  (data (i32.const 384) "nwritten past the end: ")
  (data (i32.const 416) "path past the end: ")
  (data (i32.const 448) "a good write\n")
  ;; print len bytes at p, then the number n and a newline
  (func $say (param $p i32) (param $len i32) (param $n i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; the number in decimal at 200.., backwards
    (local.set $p (i32.const 212))
    (i32.store8 (i32.const 212) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 213) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    ;; a good iovec at 32 for the buffer tests
    (i32.store (i32.const 32) (i32.const 65530))
    (i32.store (i32.const 36) (i32.const 100))
    (i32.store (i32.const 40) (i32.const 0xFFFFFF00))
    (i32.store (i32.const 44) (i32.const 4))
    (call $say (i32.const 256) (i32.const 19)
      (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 8)))
    (call $say (i32.const 288) (i32.const 17)
      (call $fd_write (i32.const 1) (i32.const 0xFFFFFFF0) (i32.const 1) (i32.const 8)))
    (call $say (i32.const 320) (i32.const 21)
      (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 8)))
    (call $say (i32.const 352) (i32.const 19)
      (call $fd_write (i32.const 1) (i32.const 40) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 48) (i32.const 448))
    (i32.store (i32.const 52) (i32.const 13))
    (call $say (i32.const 384) (i32.const 23)
      (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 0xFFFFFFFE)))
    (call $say (i32.const 416) (i32.const 19)
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 65530) (i32.const 10) (i32.const 0)
                       (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 8)))))
