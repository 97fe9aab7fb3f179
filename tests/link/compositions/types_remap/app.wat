;; app declares types lib does not, in another order, so lib's type indices all move
(module
  (type $t0 (func (param f32 f32 f32) (result f32)))
  (type $t1 (func (param i64) (result i64 i64)))
  (type $t2 (func (param i32 i32) (result i32)))
  (type $t3 (func))
  (import "lib" "swap_add" (func $swap_add (param i32 i32) (result i32)))
  (import "lib" "dispatch" (func $dispatch (param i32 i32 i32) (result i32)))
  (import "lib" "fold" (func $fold (param i32) (result i64)))
  (import "lib" "classify" (func $classify (param i32) (result i32)))
  (func $f32op (type $t0) local.get 0 local.get 1 f32.mul local.get 2 f32.add)
  (func $split (type $t1) local.get 0 local.get 0 i64.const 1 i64.shl)
  (func $nop (type $t3))
  (func (export "run") (param $x i32) (result i64)
    (local $acc i64)
    call $nop
    local.get $x local.get $x i32.const 3 i32.add call $swap_add
    i64.extend_i32_s local.set $acc
    i32.const 1 local.get $x i32.const 7 call $dispatch i64.extend_i32_s
    local.get $acc i64.add local.set $acc
    local.get $x call $fold local.get $acc i64.add local.set $acc
    local.get $acc call $split i64.add)
  (func (export "f32op") (param f32 f32 f32) (result f32)
    local.get 0 local.get 1 local.get 2 call $f32op)
  (func (export "classify") (param i32) (result i32) local.get 0 call $classify))
