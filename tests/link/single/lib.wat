;; The library of the --memory single isolation test: a fixed region (maximum 2 pages),
;; its state (a data segment and a sentinel its start function writes) checked by
;; `check` after the application scribbled over all of its own memory.
(module
  (memory (export "memory") 1 2)
  (data (i32.const 16) "LIBSTATE")
  (func $init (i32.store (i32.const 65528) (i32.const 0x12345678)))
  (start $init)
  (func (export "check") (result i32)
    (i32.and
      (i64.eq (i64.load (i32.const 16)) (i64.const 0x455441545342494C))
      (i32.eq (i32.load (i32.const 65528)) (i32.const 0x12345678))))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store64") (param i32 i64) (i64.store offset=8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2))))
