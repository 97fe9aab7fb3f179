;; Holds handles of r in its own table: whatever app passes or asks back.
(module
  (import "fuzz:handles/api" "[resource-drop]r" (func $drop (param i32)))
  (func (export "fuzz:handles/svc#peek") (param $b i32) (param $keep i32) (result i32)
    local.get $keep i32.eqz
    if local.get $b call $drop end
    local.get $b)
  (func (export "fuzz:handles/svc#hold") (param i32) (result i32) local.get 0)
  (func (export "fuzz:handles/svc#give") (param i32) (result i32) local.get 0)
  (func (export "fuzz:handles/svc#sdrop") (param i32) local.get 0 call $drop))
