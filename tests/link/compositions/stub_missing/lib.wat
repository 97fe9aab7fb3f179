;; lib imports env.f too (the same import: one stub serves both)
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (func (export "twice") (param i32) (result i32)
    local.get 0 i32.const 2 i32.mul)
  (func (export "calls_f") (param i32) (result i32)
    local.get 0 call $f))
