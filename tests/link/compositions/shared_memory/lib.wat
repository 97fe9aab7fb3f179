;; lib owns the memory; app imports it. Both write into it.
(module
  (memory (export "memory") 1 4)
  ;; lib's bytes at 0..15; app's active segment overwrites 8..11 (app is instantiated
  ;; after lib, whatever the order on the command line)
  (data (i32.const 0) "lib-data-0123456")
  (data (i32.const 100) "\01\02\03\04")
  (func (export "store") (param i32 i32)
    local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32)
    local.get 0 i32.load)
  ;; sum of n i32s at addr
  (func (export "sum") (param $addr i32) (param $n i32) (result i32)
    (local $s i32)
    block $done
      loop $next
        local.get $n i32.eqz br_if $done
        local.get $s local.get $addr i32.load i32.add local.set $s
        local.get $addr i32.const 4 i32.add local.set $addr
        local.get $n i32.const 1 i32.sub local.set $n
        br $next
      end
    end
    local.get $s)
  (func (export "grow") (param i32) (result i32)
    local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size))
