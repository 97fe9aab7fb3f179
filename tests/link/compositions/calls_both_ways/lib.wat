(module
  (import "app" "inc" (func $inc (param i32) (result i32)))
  (import "app" "neg" (func $neg (param f64) (result f64)))
  (export "inc_via_lib" (func $inc))
  (func (export "square") (param i32) (result i32)
    local.get 0 local.get 0 i32.mul)
  ;; calls back into app twice
  (func (export "twice") (param i32) (result i32)
    local.get 0 call $inc call $inc)
  ;; (i64, f64, f32) -> f64, through app's neg
  (func (export "mix") (param i64 f64 f32) (result f64)
    local.get 0 f64.convert_i64_s
    local.get 1 f64.add
    local.get 2 f64.promote_f32 f64.add
    call $neg)
  (func (export "pair") (param i32) (result i32 i64)
    local.get 0 i32.const 2 i32.mul
    local.get 0 i64.extend_i32_u i64.const 1000000000000 i64.mul))
