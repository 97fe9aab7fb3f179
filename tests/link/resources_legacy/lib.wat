;; The definer: legacy intrinsics and the canonical_abi_drop_counter destructor.
(module
  (import "canonical_abi" "resource_new_counter" (func $new (param i32) (result i32)))
  (import "canonical_abi" "resource_get_counter" (func $get (param i32) (result i32)))
  (import "canonical_abi" "resource_clone_counter" (func $clone (param i32) (result i32)))
  (import "canonical_abi" "resource_drop_counter" (func $drop (param i32)))
  (global $dtors (mut i32) (i32.const 0))
  (global $last (mut i32) (i32.const 0))
  (func (export "example:legacy/api#[constructor]counter") (param $v i32) (result i32)
    local.get $v call $new)
  ;; a borrow into the definer arrives as the rep (here: the value itself)
  (func (export "example:legacy/api#[method]counter.get") (param $rep i32) (result i32)
    local.get $rep)
  (func (export "canonical_abi_drop_counter") (param $rep i32)
    local.get $rep global.set $last
    global.get $dtors i32.const 1 i32.add global.set $dtors)
  (func (export "dtors") (result i32) global.get $dtors)
  (func (export "last") (result i32) global.get $last)
  ;; inside the definer: new, get, clone (reference counted), drop
  (func (export "own_refcount") (result i32)
    (local $a i32) (local $b i32) (local $d i32)
    global.get $dtors local.set $d
    i32.const 42 call $new local.tee $a call $clone local.set $b
    local.get $a call $drop
    global.get $dtors local.get $d i32.ne if unreachable end
    local.get $b call $get
    local.get $b call $drop
    global.get $dtors local.get $d i32.const 1 i32.add i32.ne if unreachable end)
  (func (export "get_after_drop") (result i32)
    (local $a i32)
    i32.const 1 call $new local.tee $a call $drop
    local.get $a call $get))
