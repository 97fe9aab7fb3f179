(module
  (type $r (func (result i32)))
  (import "lib" "get" (func $get (param i32) (result funcref)))
  (import "lib" "seven" (func $seven (result i32)))
  (import "lib" "eight" (func $eight (result i32)))
  (table $t 4 funcref)
  ;; a global and a passive segment holding lib's functions through app's imports
  (global $g funcref (ref.func $eight))
  (elem $passive func $seven $eight $seven)
  (func (export "via_get") (param i32) (result i32)
    i32.const 0 local.get 0 call $get table.set $t
    i32.const 0 call_indirect $t (type $r))
  (func (export "via_global") (result i32)
    i32.const 1 global.get $g table.set $t
    i32.const 1 call_indirect $t (type $r))
  (func (export "init") (param i32) (result i32)
    i32.const 1 local.get 0 i32.const 2 table.init $t $passive
    i32.const 1 call_indirect $t (type $r)
    i32.const 2 call_indirect $t (type $r) i32.add)
  (func (export "drop") elem.drop $passive)
  (func (export "is_null") (param i32) (result i32)
    local.get 0 table.get $t ref.is_null)
  (export "table" (table $t))
  (export "g" (global $g)))
