;; Multi-memory: memory indices in memargs, memory.copy between memories, data for a
;; non-zero memory, imported and defined memories.
(module
  (import "env" "m0" (memory $m0 1))
  (memory $m1 1 2)
  (memory $m2 2)
  (func (export "f") (param i32) (result i32)
    (i32.store $m1 (local.get 0) (i32.const 42))
    (i64.store8 $m2 offset=3 (local.get 0) (i64.const 1))
    (memory.copy $m2 $m1 (i32.const 0) (i32.const 0) (i32.const 8))
    (memory.fill $m2 (i32.const 0) (i32.const 1) (i32.const 1))
    (memory.init $m2 $d (i32.const 0) (i32.const 0) (i32.const 1))
    (drop (memory.grow $m1 (i32.const 1)))
    (drop (memory.size $m2))
    (i32.add (i32.load $m1 (local.get 0)) (i32.load8_u $m0 (local.get 0))))
  (data (memory $m2) (i32.const 0) "two")
  (data (memory $m1) (i32.const 10) "one")
  (data $d "passive"))
