;; Extended constant expressions: arithmetic on imported globals in global initialisers
;; and segment offsets.
(module
  (import "env" "base" (global $base i32))
  (import "env" "base64" (global $base64 i64))
  (memory 1)
  (table 10 funcref)
  (global $a i32 (i32.add (global.get $base) (i32.const 16)))
  (global $b i64 (i64.mul (global.get $base64) (i64.const 3)))
  (global $c i32 (i32.sub (i32.mul (global.get $base) (i32.const 2)) (i32.const 1)))
  (func $f)
  (elem (i32.add (global.get $base) (i32.const 1)) $f)
  (data (i32.add (global.get $base) (i32.const 8)) "x"))
