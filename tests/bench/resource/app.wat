(module
  (import "bench:res/api" "[constructor]counter" (func $mk (param i32) (result i32)))
  (import "bench:res/api" "[static]counter.pass" (func $pass (param i32 i32) (result i32)))
  (import "bench:res/api" "[static]counter.pass-opt" (func $pass_opt (param i32 i32 i32) (result i32)))
  (import "bench:res/api" "pass-plain" (func $plain (param i32 i32) (result i32)))
  (import "bench:res/api" "[resource-drop]counter" (func $drop (param i32)))
  (func (export "handles") (param $n i32) (result i32)
    (local $a i32) (local $b i32)
    i32.const 1 call $mk local.set $a
    i32.const 2 call $mk local.set $b
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $a local.get $b call $pass local.set $a
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $b call $drop
    local.get $a call $drop
    local.get $a)
  (func (export "nested") (param $n i32) (result i32)
    (local $a i32) (local $b i32)
    i32.const 1 call $mk local.set $a
    i32.const 2 call $mk local.set $b
    block $done loop $l
      local.get $n i32.eqz br_if $done
      i32.const 1 local.get $a local.get $b call $pass_opt local.set $a
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $b call $drop
    local.get $a call $drop
    local.get $a)
  (func (export "plain") (param $n i32) (result i32)
    (local $a i32)
    i32.const 1 local.set $a
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $a i32.const 2 call $plain local.set $a
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $a))
