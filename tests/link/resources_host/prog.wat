;; A WASI command for `membrane virt` that drops handles of resources the host defines
;; (legacy `file`, example:host/fs `dir`) and prints through wasi-virt.
(module
  (import "host" "open" (func $open (param i32) (result i32)))
  (import "canonical_abi" "resource_drop_file" (func $drop_file (param i32)))
  (import "example:host/fs" "[resource-drop]dir" (func $drop_dir (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "dropped\n")
  (func (export "_start")
    i32.const 0 call $open call $drop_file
    i32.const 1 call $open call $drop_dir
    i32.const 0x7fffffff call $drop_file
    ;; iovec {16, 8} at 0, nwritten at 8
    i32.const 0 i32.const 16 i32.store
    i32.const 4 i32.const 8 i32.store
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
