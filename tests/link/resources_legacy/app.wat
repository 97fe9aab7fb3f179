;; A user: handles from the WIT constructor, legacy clone and drop on them.
(module
  (import "example:legacy/api" "[constructor]counter" (func $mk (param i32) (result i32)))
  (import "example:legacy/api" "[method]counter.get" (func $value (param i32) (result i32)))
  (import "canonical_abi" "resource_clone_counter" (func $clone (param i32) (result i32)))
  (import "canonical_abi" "resource_drop_counter" (func $drop (param i32)))
  (import "lib" "dtors" (func $dtors (result i32)))
  (import "lib" "last" (func $last (result i32)))
  (import "lib" "own_refcount" (func $own_refcount (result i32)))
  (import "lib" "get_after_drop" (func $get_after_drop (result i32)))
  (export "own_refcount" (func $own_refcount))
  (export "get_after_drop" (func $get_after_drop))
  (func (export "dtors") (result i32) call $dtors)
  (func (export "last") (result i32) call $last)
  ;; clone in the user: the destructor runs once, after the last drop
  (func (export "user_refcount") (result i32)
    (local $a i32) (local $b i32) (local $d i32)
    call $dtors local.set $d
    i32.const 7 call $mk local.tee $a call $clone local.set $b
    local.get $a call $drop
    call $dtors local.get $d i32.ne if unreachable end
    local.get $b call $value
    local.get $b call $drop
    call $dtors local.get $d i32.const 1 i32.add i32.ne if unreachable end)
  (func (export "double_drop")
    (local $a i32)
    i32.const 1 call $mk local.tee $a call $drop
    local.get $a call $drop)
  (func (export "_start")
    i32.const 99 call $mk drop))
