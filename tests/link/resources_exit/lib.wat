;; Defines `thing`; its destructor counts.
(module
  (import "[export]test:exit/api" "[resource-new]thing" (func $new (param i32) (result i32)))
  (global $dtors (mut i32) (i32.const 0))
  (func (export "test:exit/api#[constructor]thing") (param i32) (result i32)
    local.get 0 call $new)
  (func (export "test:exit/api#[dtor]thing") (param i32)
    global.get $dtors i32.const 1 i32.add global.set $dtors)
  (func (export "test:exit/api#dtors") (result i32) global.get $dtors))
