;; app: calls lib, lib calls back into app; app re-exports lib's function and lib
;; re-exports app's, so some calls go around through a re-exported import.
(module
  (import "lib" "square" (func $square (param i32) (result i32)))
  (import "lib" "twice" (func $twice (param i32) (result i32)))
  ;; lib's re-export of app's own $inc: resolves back to app's definition
  (import "lib" "inc_via_lib" (func $inc_via_lib (param i32) (result i32)))
  (import "lib" "mix" (func $mix (param i64 f64 f32) (result f64)))
  (import "lib" "pair" (func $pair (param i32) (result i32 i64)))
  (func $inc (export "inc") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add)
  (func $neg (export "neg") (param f64) (result f64)
    local.get 0 f64.neg)
  ;; run(x) = square(x) + twice(x) + inc_via_lib(x)
  (func (export "run") (param i32) (result i32)
    local.get 0 call $square
    local.get 0 call $twice i32.add
    local.get 0 call $inc_via_lib i32.add)
  (func (export "mixed") (param i64 f64 f32) (result f64)
    local.get 0 local.get 1 local.get 2 call $mix)
  (func (export "pair_sum") (param i32) (result i64)
    (local i64)
    local.get 0 call $pair
    local.set 1
    i64.extend_i32_s
    local.get 1 i64.add)
  ;; a re-export of an imported function
  (export "square" (func $square))
  (export "pair" (func $pair)))
