;; A defined global read by a later one's initialiser (allowed since wasm 3.0; wabt
;; 1.0.32 rejects it, so this one is compiled with --no-check). Permuting the globals
;; must not move the reader before the global it reads.
(module
  (global $a i32 (i32.const 10))
  (global $b i32 (i32.add (global.get $a) (i32.const 1)))
  (global $c i64 (i64.const 3))
  (func (export "f") (result i32) (global.get $b)))
