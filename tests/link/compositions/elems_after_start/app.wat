;; app's active element segment fills the same slot of lib's table. Instantiated one by
;; one, lib's start function runs before app's segment is applied: slot 0 is app's.
(module
  (import "lib" "table" (table 2 funcref))
  (type $r (func (result i32)))
  (func $two (result i32) i32.const 2)
  (elem (i32.const 0) func $two)
  (func (export "call") (result i32) i32.const 0 call_indirect (type $r)))
