;; Defines `counter` (a u32 cell in this instance's memory; the rep is its address) with a
;; destructor, and `other` without one.
(module
  (import "[export]example:counter/api" "[resource-new]counter" (func $new (param i32) (result i32)))
  (import "[export]example:counter/api" "[resource-rep]counter" (func $rep (param i32) (result i32)))
  (import "[export]example:counter/api" "[resource-drop]counter" (func $drop (param i32)))
  (import "[export]example:counter/api" "[resource-new]other" (func $new_other (param i32) (result i32)))
  (memory 32)
  (global $next (mut i32) (i32.const 16))
  (global $live (mut i32) (i32.const 0))
  (global $dtors (mut i32) (i32.const 0))
  (func $make (export "example:counter/api#[constructor]counter") (param $start i32) (result i32)
    (local $r i32)
    global.get $next local.set $r
    global.get $next i32.const 4 i32.add global.set $next
    local.get $r local.get $start i32.store
    global.get $live i32.const 1 i32.add global.set $live
    local.get $r call $new)
  ;; a borrow into the definer arrives as the rep
  (func (export "example:counter/api#[method]counter.add") (param $self i32) (param $n i32)
    local.get $self local.get $self i32.load local.get $n i32.add i32.store)
  (func (export "example:counter/api#[method]counter.get") (param $self i32) (result i32)
    local.get $self i32.load)
  ;; an own arrives as a handle in this instance's table
  (func (export "example:counter/api#[static]counter.merge") (param $a i32) (param $b i32) (result i32)
    (local $v i32)
    local.get $a call $rep i32.load local.get $b i32.load i32.add local.set $v
    local.get $a call $drop
    local.get $v call $make)
  (func (export "example:counter/api#[static]counter.absorb") (param $b i32) (param $a i32) (result i32)
    local.get $a call $drop
    local.get $b i32.load)
  (func (export "example:counter/api#[dtor]counter") (param $r i32)
    ;; poison the cell: a use after the destructor reads 0xdead
    local.get $r i32.const 0xdead i32.store
    global.get $live i32.const 1 i32.sub global.set $live
    global.get $dtors i32.const 1 i32.add global.set $dtors)
  (func (export "example:counter/api#[constructor]other") (result i32)
    i32.const 7 call $new_other)
  (func (export "example:counter/api#live") (result i32) global.get $live)
  (func (export "example:counter/api#dtors") (result i32) global.get $dtors)
  (func (export "example:counter/api#scale") (param i64 f32 f64) (result f64)
    local.get 0 f64.convert_i64_s local.get 1 f64.promote_f32 f64.mul local.get 2 f64.add))
