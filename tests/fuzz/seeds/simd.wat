;; SIMD and relaxed SIMD: constants, shuffles, lanes, lane loads and stores, relaxed ops.
(module
  (memory 1)
  (func (export "f") (param v128) (result v128)
    (v128.store offset=16 (i32.const 0) (local.get 0))
    (drop (v128.load8x8_s (i32.const 0)))
    (drop (v128.load32_zero (i32.const 0)))
    (drop (v128.load16_lane 3 (i32.const 0) (local.get 0)))
    (v128.store64_lane 1 (i32.const 0) (local.get 0))
    (drop (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
      (local.get 0) (v128.const i32x4 1 2 3 4)))
    (drop (i32x4.extract_lane 2 (local.get 0)))
    (drop (f64x2.replace_lane 1 (local.get 0) (f64.const 2)))
    (drop (i8x16.swizzle (local.get 0) (local.get 0)))
    (drop (f32x4.relaxed_madd (local.get 0) (local.get 0) (local.get 0)))
    (drop (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
    (drop (v128.any_true (local.get 0)))
    (i16x8.add_sat_s (local.get 0) (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)))
  (global v128 (v128.const f32x4 1 2 3 4)))
