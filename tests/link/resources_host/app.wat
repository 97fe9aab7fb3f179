;; Uses two resources the host defines, as the 2022 wit-bindgen JS hosts did: `file`
;; with the legacy intrinsic canonical_abi.resource_drop_file, `dir` of the interface
;; example:host/fs (which no instance exports) with [resource-drop]dir. The handles come
;; from the host (host.open, example:host/fs.open-dir) and go back to it unchanged.
;; `lib` defines a resource of its own (counter) in the same link, so the resource ABI
;; glue is part of the output too.
(module
  (import "host" "open" (func $open (param i32) (result i32)))
  (import "canonical_abi" "resource_drop_file" (func $drop_file (param i32)))
  (import "example:host/fs" "open-dir" (func $open_dir (param i32) (result i32)))
  (import "example:host/fs" "[resource-drop]dir" (func $drop_dir (param i32)))
  (import "tool" "close" (func $tool_close (param i32)))
  (import "lib" "cycle" (func $cycle (result i32)))
  (global $steps (mut i32) (i32.const 0))
  (export "cycle" (func $cycle))
  ;; drops the host's handles in an order of its own: the host must see exactly its
  ;; values (0, 1, -1, 0x7fffffff, ...), never a handle table index
  (func (export "run") (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    i32.const 0 call $open local.set $a
    i32.const 1 call $open local.set $b
    i32.const 2 call $open local.set $c
    i32.const 7 call $open_dir local.set $d
    local.get $c call $drop_file
    local.get $d call $drop_dir
    local.get $a call $drop_file
    ;; through the other instance, which drops it with its own import of the same name
    local.get $b call $tool_close
    ;; values the host never gave out reach it as they are too: it decides what they mean
    i32.const 12345 call $drop_file
    i32.const -2 call $drop_dir
    global.get $steps i32.const 1 i32.add global.set $steps
    global.get $steps)
  (func (export "_start")
    i32.const 3 call $open call $drop_file))
