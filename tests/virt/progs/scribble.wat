;; A WASI command (in WAT, so nothing of it lives in its memory but what it puts there)
;; that writes every byte of its own memory, then goes on using wasi-virt: the descriptor
;; it opened before (its position too), path resolution under the same mount, stdout. With
;; --memory single its memory is the region right above wasi-virt's: what it prints shows
;; wasi-virt's state survived. Strings come back from passive data segments after the
;; scribbling; the open descriptor is kept in a global.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data $path "in.txt")
  (data $opened "opened in.txt, read 6 bytes: ")
  (data $after "\nafter scribbling every byte of my memory, read on: ")
  (data $again "\nopened again by path: ")
  (data $nl "\n")
  (global $fd (mut i32) (i32.const -1))
  ;; put segment $seg (len bytes) at 1024 and print it
  (func $say (param $len i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; read n bytes from fd into 2048 and print them; the errno if any
  (func $read_print (param $fd i32) (param $n i32) (result i32)
    (local $e i32)
    (i32.store (i32.const 16) (i32.const 2048))
    (i32.store (i32.const 20) (local.get $n))
    (local.set $e (call $fd_read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
    (if (local.get $e) (then (return (local.get $e))))
    (i32.store (i32.const 0) (i32.const 2048))
    (i32.store (i32.const 4) (i32.load (i32.const 24)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 0))
  (func $open (result i32)
    (memory.init $path (i32.const 512) (i32.const 0) (i32.const 6))
    ;; dirfd 3 (/data), no follow flags, "in.txt", no oflags, fd_read|fd_seek rights
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 6) (i32.const 0)
                         (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 10))))
    (i32.load (i32.const 32)))
  (func (export "_start")
    (local $i i32) (local $end i32)
    (drop (memory.grow (i32.const 15)))
    (global.set $fd (call $open))
    (memory.init $opened (i32.const 1024) (i32.const 0) (i32.const 29))
    (call $say (i32.const 29))
    (if (call $read_print (global.get $fd) (i32.const 6)) (then (call $proc_exit (i32.const 11))))
    ;; every byte of the 16 pages: stores, then a fill
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store (local.get $i) (i32.const 0xA5A5A5A5))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (memory.fill (i32.const 0) (i32.const 0x5A) (local.get $end))
    (memory.init $after (i32.const 1024) (i32.const 0) (i32.const 52))
    (call $say (i32.const 52))
    (if (call $read_print (global.get $fd) (i32.const 64)) (then (call $proc_exit (i32.const 12))))
    (memory.init $again (i32.const 1024) (i32.const 0) (i32.const 23))
    (call $say (i32.const 23))
    (if (call $read_print (call $open) (i32.const 64)) (then (call $proc_exit (i32.const 13))))
    (memory.init $nl (i32.const 1024) (i32.const 0) (i32.const 1))
    (call $say (i32.const 1))))
