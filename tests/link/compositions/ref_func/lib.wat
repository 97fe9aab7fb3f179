;; lib hands out references to its functions: ref.func of a function it only exports
;; (an export declares it; the fused module does not export it)
(module
  (func $seven (export "seven") (result i32) i32.const 7)
  (func $eight (export "eight") (result i32) i32.const 8)
  (func (export "get") (param i32) (result funcref)
    ref.func $seven ref.func $eight local.get 0 select (result funcref)))
