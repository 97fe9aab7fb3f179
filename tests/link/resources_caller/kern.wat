;; A provider granted caller-memory access: it reads and writes the memory of whichever
;; instance calls it, like a kernel serving a process.
(module
  (import "membrane:caller" "read" (func $read (param i32 i32 i32)))
  (import "membrane:caller" "write" (func $write (param i32 i32 i32)))
  (import "membrane:caller" "size" (func $size (result i32)))
  (memory (export "memory") 1)
  ;; copy the caller's bytes [p, p+n) to 0x100 here, return their sum
  (func (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    i32.const 0x100 local.get $p local.get $n call $read
    block $done loop $l
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $s local.get $i i32.load8_u offset=0x100 i32.add local.set $s
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    local.get $s)
  ;; write n bytes of value v into the caller's memory at p
  (func (export "fill") (param $p i32) (param $n i32) (param $v i32)
    i32.const 0x100 local.get $v local.get $n memory.fill
    local.get $p i32.const 0x100 local.get $n call $write)
  (func (export "pages") (result i32) call $size)
  ;; through an adapter: the caller's memory size in pages * 1000 + the string's length
  (global $heap (mut i32) (i32.const 0x1000))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $heap local.set $p
    global.get $heap local.get 3 i32.add global.set $heap
    local.get $p)
  (func (export "example:kern/sys#probe") (param $p i32) (param $n i32) (result i32)
    call $size i32.const 1000 i32.mul local.get $n i32.add))
