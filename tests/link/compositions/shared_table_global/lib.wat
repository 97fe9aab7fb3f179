;; lib owns a funcref table and a mutable global; app imports both. Each fills part of
;; the table with its own functions; both call_indirect through all of it.
(module
  (type $unop (func (param i32) (result i32)))
  (table $t (export "table") 4 10 funcref)
  (global $counter (export "counter") (mut i32) (i32.const 100))
  (global $base (export "base") i32 (i32.const 1000))
  (func $lib_add1 (type $unop) local.get 0 i32.const 1 i32.add)
  (func $lib_mul3 (type $unop) local.get 0 i32.const 3 i32.mul)
  (elem (table $t) (i32.const 0) func $lib_add1 $lib_mul3)
  ;; dispatch(i, x): table[i](x), and count the call in the shared global
  (func (export "dispatch") (param $i i32) (param $x i32) (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter
    local.get $x local.get $i call_indirect $t (type $unop))
  (func (export "count") (result i32) global.get $counter)
  (func (export "size") (result i32) table.size $t)
  (func (export "clear") (param i32)
    local.get 0 ref.null func table.set $t))
