;; lib's start function writes byte 0 of its memory
(module
  (memory (export "memory") 1)
  (func $start i32.const 0 i32.const 1 i32.store8)
  (start $start))
