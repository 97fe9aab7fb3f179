;; The application of the --memory single isolation test: growable, placed last. It
;; writes every byte of its own memory (stores, memory.fill, memory.copy) and must leave
;; the library's region intact.
(module
  (import "lib" "check" (func $check (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "APPDATA!")
  (func (export "scribble") (result i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store8 (local.get $i) (i32.const 0x5A))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (memory.fill (i32.const 0) (i32.const 0xA5) (i32.div_u (local.get $end) (i32.const 2)))
    (memory.copy (i32.div_u (local.get $end) (i32.const 2)) (i32.const 0)
                 (i32.div_u (local.get $end) (i32.const 2)))
    (local.get $end))
  ;; bytes of the app's memory that are not 0xA5
  (func (export "others") (result i32)
    (local $i i32) (local $n i32) (local $end i32)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0xA5))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "lib_check") (result i32) (call $check)))
