;; lib defines the tags and throws; app imports a tag and catches what lib throws. The
;; tag's identity must survive fusion (one tag, not a copy per instance).
(module
  (tag $oops (export "oops") (param i32 i64))
  (tag $other (export "other") (param f64))
  (tag $private (param i32))
  (func (export "throw_oops") (param i32)
    local.get 0 i64.const 77 throw $oops)
  (func (export "throw_other") (param f64)
    local.get 0 throw $other)
  (func (export "throw_private") (param i32)
    local.get 0 throw $private)
  ;; calls back into app, catching app's throws of lib's tag
  (func (export "call_and_catch") (param $f i32) (result i32)
    try (result i32)
      local.get $f
      local.get $f
      call_indirect (param i32) (result i32)
    catch $oops
      drop
      i32.const 1000
      i32.add
    catch_all
      i32.const -1
    end)
  (table (export "table") 2 funcref))
