;; app: 2 pages of its own memory (memory 0 of the fused module); calls into lib whose
;; 1-page memory lies elsewhere. An address valid in app's memory is out of bounds in
;; lib's, and must trap there.
(module
  (import "lib" "load" (func $load (param i32) (result i32)))
  (import "lib" "store" (func $store (param i32 i32)))
  (import "lib" "boom" (func $boom))
  (import "lib" "div" (func $div (param i32 i32) (result i32)))
  (import "lib" "recurse" (func $recurse (param i32) (result i32)))
  (memory (export "app_memory") 2)
  (func (export "own_load") (param i32) (result i32)
    local.get 0 i32.load)
  (func (export "own_store") (param i32 i32)
    local.get 0 local.get 1 i32.store)
  (func (export "lib_load") (param i32) (result i32)
    local.get 0 call $load)
  ;; writes app's memory, then lib's, then traps in lib: both writes must stay
  (func $write_then_boom (export "write_then_boom") (param i32 i32)
    local.get 0 local.get 1 i32.store
    local.get 0 local.get 1 call $store
    call $boom
    local.get 0 i32.const 0 i32.store)
  (func (export "lib_div") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $div)
  (func (export "lib_recurse") (param i32) (result i32)
    local.get 0 call $recurse)
  (func (export "store_both") (param i32 i32)
    local.get 0 local.get 1 i32.store
    local.get 0 local.get 1 call $store))
