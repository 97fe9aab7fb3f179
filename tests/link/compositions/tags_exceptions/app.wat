(module
  (import "lib" "oops" (tag $oops (param i32 i64)))
  (import "lib" "throw_oops" (func $throw_oops (param i32)))
  (import "lib" "throw_other" (func $throw_other (param f64)))
  (import "lib" "throw_private" (func $throw_private (param i32)))
  (import "lib" "call_and_catch" (func $call_and_catch (param i32) (result i32)))
  (import "lib" "table" (table $t 2 funcref))
  (func $thrower (param i32) (result i32)
    local.get 0 i64.const 5 throw $oops)
  (func $plain (param i32) (result i32)
    local.get 0 i32.const 2 i32.mul)
  (elem (table $t) (i32.const 0) func $thrower $plain)
  ;; catch lib's throw of the imported tag: returns the i32 payload + the i64 as i32
  (func (export "catch_oops") (param i32) (result i32)
    try (result i32)
      local.get 0 call $throw_oops
      i32.const -1
    catch $oops
      i32.wrap_i64
      i32.add
    end)
  ;; a tag app does not know: only catch_all sees it
  (func (export "catch_other") (param f64) (result i32)
    try (result i32)
      local.get 0 call $throw_other
      i32.const -1
    catch $oops
      drop drop i32.const -2
    catch_all
      i32.const 42
    end)
  ;; uncaught: leaves as an exception to JS
  (func (export "uncaught") (param i32)
    local.get 0 call $throw_private)
  (func (export "uncaught_oops") (param i32)
    local.get 0 call $throw_oops)
  (export "oops" (tag $oops))
  (func (export "roundtrip") (param i32) (result i32)
    local.get 0 call $call_and_catch))
