;; app has no WASI imports; it exports its own memory as "memory", but the fused
;; module's "memory" must be lib's, the one the host's WASI reads
(module
  (import "lib" "say" (func $say (param i32) (result i32)))
  (import "lib" "written" (func $written (result i32)))
  (memory (export "memory") 1)
  (export "app_memory" (memory 0))
  (data (i32.const 0) "app's memory")
  (func (export "run") (param $k i32) (result i32)
    (local $i i32)
    block $done
      loop $next
        local.get $i local.get $k i32.ge_u br_if $done
        local.get $i call $say drop
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    call $written))
