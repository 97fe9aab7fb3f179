(module
  (import "kern" "sum" (func $sum (param i32 i32) (result i32)))
  (import "kern" "pages" (func $pages (result i32)))
  (memory $m (export "memory") 3)
  (data (i32.const 16) "\0a\14")
  (func (export "tool_sum") (result i32) i32.const 16 i32.const 2 call $sum)
  (func (export "tool_pages") (result i32) call $pages))
