;; Exception handling (legacy try/catch as wabt 1.0.32 writes it): tags, throw,
;; catch, catch_all, rethrow, delegate; an imported tag.
(module
  (import "env" "err" (tag $imp (param i32)))
  (tag $e (param i64 f32))
  (tag $empty)
  (func $thrower (param i32)
    (if (local.get 0) (then (throw $imp (local.get 0))))
    (throw $empty))
  (func (export "f") (result i32)
    (try (result i32)
      (do
        (try
          (do (call $thrower (i32.const 1)))
          (delegate 0))
        (i32.const 0))
      (catch $imp)
      (catch $e (drop) (drop) (i32.const 2))
      (catch_all
        (try (do (nop)) (catch_all (rethrow 0)))
        (i32.const 3))))
  (export "e" (tag $e)))
