(module
  (import "[export]bench:res/api" "[resource-new]counter" (func $new (param i32) (result i32)))
  (global $sum (mut i32) (i32.const 0))
  (func (export "bench:res/api#[constructor]counter") (param i32) (result i32)
    local.get 0 call $new)
  ;; b (a borrow into the definer) is the rep
  (func (export "bench:res/api#[static]counter.pass") (param $a i32) (param $b i32) (result i32)
    global.get $sum local.get $b i32.add global.set $sum
    local.get $a)
  ;; a arrives as (tag, handle): always some in the benchmark
  (func (export "bench:res/api#[static]counter.pass-opt") (param $tag i32) (param $a i32) (param $b i32) (result i32)
    global.get $sum local.get $b i32.add global.set $sum
    local.get $a)
  (func (export "bench:res/api#pass-plain") (param $a i32) (param $b i32) (result i32)
    global.get $sum local.get $b i32.add global.set $sum
    local.get $a))
