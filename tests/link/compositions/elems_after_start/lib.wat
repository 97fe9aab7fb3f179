;; lib's start function puts its own function into slot 0 of its table
(module
  (table (export "table") 2 funcref)
  (func $one (result i32) i32.const 1)
  (elem declare func $one)
  (func $start i32.const 0 ref.func $one table.set 0)
  (start $start))
