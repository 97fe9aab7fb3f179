;; Defines `counter` with the legacy intrinsics: new, drop, the destructor once.
(module
  (import "canonical_abi" "resource_new_counter" (func $new (param i32) (result i32)))
  (import "canonical_abi" "resource_drop_counter" (func $drop (param i32)))
  (global $dtors (mut i32) (i32.const 0))
  (func (export "canonical_abi_drop_counter") (param i32)
    global.get $dtors i32.const 1 i32.add global.set $dtors)
  ;; one counter made and dropped: returns how many destructors ran
  (func (export "cycle") (result i32)
    i32.const 5 call $new call $drop
    global.get $dtors))
