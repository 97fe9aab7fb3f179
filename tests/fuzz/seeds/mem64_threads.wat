;; memory64 and threads: a shared memory with atomics, wait/notify and fence (memory 0,
;; since wabt 1.0.32 cannot name a memory on atomics), and a 64-bit memory.
(module
  (memory $shared 1 1 shared)
  (memory $big i64 1 100)
  (func (export "f") (param i64) (result i64)
    (i64.store $big offset=4294967295 (local.get 0) (i64.const 5))
    (drop (memory.grow $big (i64.const 1)))
    (drop (memory.size $big))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (i64.atomic.rmw.cmpxchg (i32.const 8) (i64.const 0) (i64.const 1)))
    (i32.atomic.store8 (i32.const 3) (i32.const 1))
    (drop (i64.atomic.load32_u offset=8 (i32.const 0)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
    (atomic.fence)
    (i64.load $big (local.get 0))))
