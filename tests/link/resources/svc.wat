;; A user of `counter` exporting functions that take and return handles.
(module
  (import "example:counter/api" "[constructor]counter" (func $mk (param i32) (result i32)))
  (import "example:counter/api" "[method]counter.get" (func $get (param i32) (result i32)))
  (import "example:counter/api" "[resource-drop]counter" (func $drop (param i32)))
  (import "example:counter/hooks" "poke" (func $poke))
  ;; a borrow handle in svc's own table; svc lends it on to lib, then drops it
  (func (export "example:counter/inspect#peek") (param $c i32) (result i32)
    local.get $c call $get
    local.get $c call $drop)
  ;; forgets to drop the borrow: the adapter traps when it returns
  (func (export "example:counter/inspect#keep") (param $c i32))
  (func (export "example:counter/inspect#take") (param $c i32) (result i32)
    local.get $c call $get
    local.get $c call $drop)
  (func (export "example:counter/inspect#give") (param $start i32) (result i32)
    local.get $start call $mk)
  (func (export "example:counter/inspect#peek-poke") (param $c i32)
    call $poke
    local.get $c call $drop))
