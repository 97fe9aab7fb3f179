(module
  (import "lib" "memory" (memory 1))
  (import "lib" "sum" (func $sum (param i32 i32) (result i32)))
  (import "lib" "store" (func $store (param i32 i32)))
  (import "lib" "size" (func $lsize (result i32)))
  (data (i32.const 8) "APP!")
  (data (i32.const 200) "app segment")
  ;; fill n i32s at addr with v, v+1, ...; lib sums them
  (func (export "fill_and_sum") (param $addr i32) (param $n i32) (param $v i32) (result i32)
    (local $i i32)
    block $done
      loop $next
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $addr local.get $i i32.const 4 i32.mul i32.add
        local.get $v local.get $i i32.add
        i32.store
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    local.get $addr local.get $n call $sum)
  ;; lib writes, app reads back through its import
  (func (export "store_via_lib_load") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $store
    local.get 0 i32.load)
  (func (export "copy") (param i32 i32 i32)
    local.get 0 local.get 1 local.get 2 memory.copy)
  (func (export "grow") (param i32) (result i32)
    local.get 0 memory.grow)
  (func (export "sizes") (result i32)
    memory.size i32.const 16 i32.shl call $lsize i32.or))
