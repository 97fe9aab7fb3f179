;; A third instance of the --memory single isolation test: a fixed, checked region of
;; one page (maximum 1) accessed with SIMD (v128 values, lanes), atomics (one and two
;; operands, i64) and f64 stores, whose bounds checks keep their operands in scratch
;; locals of each type.
(module
  (memory 1 1)
  (func (export "v128_store") (param i32)
    (v128.store offset=16 (local.get 0) (v128.const i32x4 1 2 3 4)))
  (func (export "v128_load") (param i32) (result i32)
    (i32x4.extract_lane 3 (v128.load offset=16 (local.get 0))))
  (func (export "lane_store") (param i32)
    (v128.store32_lane 2 (local.get 0) (v128.const i32x4 5 6 7 8)))
  (func (export "lane_load") (param i32) (result i32)
    (i32x4.extract_lane 1 (v128.load32_lane 1 (local.get 0) (v128.const i64x2 0 0))))
  (func (export "cas") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "add64") (param i32 i64) (result i64)
    (i64.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "f64_store") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "f64_load") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
