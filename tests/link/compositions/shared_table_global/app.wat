(module
  (type $unop (func (param i32) (result i32)))
  (type $binop (func (param i32 i32) (result i32)))
  (import "lib" "table" (table $shared 2 funcref))
  (import "lib" "counter" (global $counter (mut i32)))
  (import "lib" "base" (global $base i32))
  (import "lib" "dispatch" (func $dispatch (param i32 i32) (result i32)))
  (import "lib" "size" (func $lib_size (result i32)))
  ;; app's own table, index 1 in app, somewhere else in the fused module
  (table $own 2 funcref)
  (global $own_g (export "own_g") (mut i32) (global.get $base))
  (func $app_sub5 (type $unop) local.get 0 i32.const 5 i32.sub)
  (func $app_sq (type $unop) local.get 0 local.get 0 i32.mul)
  (func $app_add (type $binop) local.get 0 local.get 1 i32.add)
  (elem (table $shared) (i32.const 2) func $app_sub5 $app_sq)
  (elem (table $own) (i32.const 0) func $app_add $app_sq)
  (elem declare func $app_add)
  ;; app calls through the shared table; lib calls app's functions through it too
  (func (export "app_call") (param $i i32) (param $x i32) (result i32)
    global.get $counter i32.const 10 i32.add global.set $counter
    local.get $x local.get $i call_indirect $shared (type $unop))
  (func (export "lib_call") (param $i i32) (param $x i32) (result i32)
    local.get $i local.get $x call $dispatch)
  (func (export "own_call") (param $i i32) (param $x i32) (result i32)
    local.get $x local.get $x local.get $i call_indirect $own (type $binop))
  ;; grow the shared table by n with app's $app_add (wrong type for dispatch)
  (func (export "grow") (param i32) (result i32)
    ref.func $app_add local.get 0 table.grow $shared)
  (func (export "sizes") (result i32)
    table.size $shared i32.const 8 i32.shl call $lib_size i32.or)
  (func (export "bump_global") (result i32)
    global.get $counter i32.const 1000 i32.add global.set $counter
    global.get $own_g global.get $counter i32.add global.set $own_g
    global.get $own_g))
