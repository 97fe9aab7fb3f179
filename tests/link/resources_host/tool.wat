;; A second instance dropping the host's `file` handles: one import of the output serves
;; both instances.
(module
  (import "canonical_abi" "resource_drop_file" (func $drop_file (param i32)))
  (func (export "close") (param i32) local.get 0 call $drop_file))
