;; app's active data segment writes the same byte of lib's memory. Instantiated one by
;; one, lib's start function runs before app's segment is applied: the byte is 2.
(module
  (import "lib" "memory" (memory 1))
  (data (i32.const 0) "\02")
  (func (export "get") (result i32) i32.const 0 i32.load8_u))
