;; lib owns a 64-bit memory; app imports it and has a 32-bit one of its own
(module
  (memory $m (export "mem64") i64 1 4)
  (data (i64.const 8) "sixty-four")
  (func (export "load") (param i64) (result i32) local.get 0 i32.load8_u offset=0)
  (func (export "store") (param i64 i64) local.get 0 local.get 1 i64.store offset=16)
  (func (export "grow") (param i64) (result i64) local.get 0 memory.grow)
  (func (export "size") (result i64) memory.size)
  (func (export "fill") (param i64 i32 i64) local.get 0 local.get 1 local.get 2 memory.fill))
