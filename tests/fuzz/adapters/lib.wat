;; Defines r: the constructor makes a handle whose rep is its argument; mv and both give
;; their own argument back, lend returns the rep it was lent.
(module
  (import "[export]fuzz:handles/api" "[resource-new]r" (func $new (param i32) (result i32)))
  (func (export "fuzz:handles/api#[constructor]r") (param i32) (result i32)
    local.get 0 call $new)
  (func (export "fuzz:handles/api#[static]r.mv") (param i32) (result i32) local.get 0)
  (func (export "fuzz:handles/api#[static]r.lend") (param i32) (result i32) local.get 0)
  (func (export "fuzz:handles/api#[static]r.both") (param i32 i32) (result i32) local.get 0))
