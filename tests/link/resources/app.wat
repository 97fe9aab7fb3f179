;; Exercises every rule of the resource ABI through `membrane link`; resources.mjs calls
;; each export and checks the result or the trap.
(module
  (import "example:counter/api" "[constructor]counter" (func $mk (param i32) (result i32)))
  (import "example:counter/api" "[method]counter.add" (func $add (param i32 i32)))
  (import "example:counter/api" "[method]counter.get" (func $get (param i32) (result i32)))
  (import "example:counter/api" "[static]counter.merge" (func $merge (param i32 i32) (result i32)))
  (import "example:counter/api" "[static]counter.absorb" (func $absorb (param i32 i32) (result i32)))
  (import "example:counter/api" "[resource-drop]counter" (func $drop (param i32)))
  (import "example:counter/api" "[resource-dup]counter" (func $dup (param i32) (result i32)))
  (import "example:counter/api" "[resource-destroy]counter" (func $destroy (param i32)))
  (import "example:counter/api" "[constructor]other" (func $mk_other (result i32)))
  (import "example:counter/api" "[resource-drop]other" (func $drop_other (param i32)))
  (import "example:counter/api" "live" (func $live (result i32)))
  (import "example:counter/api" "dtors" (func $dtors (result i32)))
  (import "example:counter/api" "scale" (func $scale (param i64 f32 f64) (result f64)))
  (import "example:counter/inspect" "peek" (func $peek (param i32) (result i32)))
  (import "example:counter/inspect" "keep" (func $keep (param i32)))
  (import "example:counter/inspect" "take" (func $take (param i32) (result i32)))
  (import "example:counter/inspect" "give" (func $give (param i32) (result i32)))
  (import "example:counter/inspect" "peek-poke" (func $peek_poke (param i32)))
  (import "example:counter/text" "echo" (func $echo (param i32 i32 i32)))
  (import "example:counter/text" "sum" (func $sum (param i32 i32) (result i64)))
  (import "example:counter/text" "rev" (func $rev (param i32 i32 i32)))
  (import "example:counter/text" "pair" (func $pair (param i32 i32)))
  (import "example:counter/text" "posts" (func $posts (result i32)))
  (import "example:counter/nested" "maybe" (func $maybe (param i32 i32 i32)))
  (import "example:counter/nested" "try-make" (func $try_make (param i32 i32)))
  (import "example:counter/nested" "names" (func $names (param i32 i32) (result i32)))
  (import "example:counter/nested" "repeat" (func $repeat (param i32 i32 i32 i32)))
  (import "example:counter/nested" "named-get" (func $named_get (param i32 i32 i32) (result i32)))
  (import "example:counter/nested" "take-all" (func $take_all (param i32 i32) (result i32)))
  (import "example:counter/nested" "peek-all" (func $peek_all (param i32 i32) (result i32)))
  (import "example:counter/nested" "wide" (func $wide (param i32) (result i64)))
  (import "example:counter/nested" "mixed" (func $mixed (param i32 i64) (result i64)))
  (import "example:counter/nested" "deep" (func $deep (param i32 i32 i32) (result i32)))
  (memory (export "memory") 16)
  ;; cabi_realloc: a bump allocator from 1 MiB up, growing the memory as needed
  (global $heap (mut i32) (i32.const 0x100000))
  (func (export "cabi_realloc") (param $old i32) (param $osize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    global.get $heap local.get $align i32.add i32.const 1 i32.sub
    i32.const 0 local.get $align i32.sub i32.and local.set $p
    local.get $p local.get $size i32.add global.set $heap
    block $ok loop $grow
      global.get $heap memory.size i32.const 16 i32.shl i32.le_u br_if $ok
      i32.const 16 memory.grow i32.const -1 i32.eq if unreachable end
      br $grow end end
    local.get $p)
  ;; strings and lists: the caller's side of the canonical ABI, driven from JS
  (func (export "echo") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 call $echo)
  (func (export "sum") (param i32 i32) (result i64) local.get 0 local.get 1 call $sum)
  ;; 2^30 u32 elements are 2^32 bytes, more than a 32-bit memory holds: the adapter traps
  (func (export "sum_too_long") (result i64) i32.const 0 i32.const 0x40000000 call $sum)
  (func (export "rev") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 call $rev)
  (func (export "pair") (param i32 i32) local.get 0 local.get 1 call $pair)
  (func (export "posts") (result i32) call $posts)
  ;; nested handles and lists, driven from JS
  (func (export "mk") (param i32) (result i32) local.get 0 call $mk)
  (func (export "get") (param i32) (result i32) local.get 0 call $get)
  (func (export "drop") (param i32) local.get 0 call $drop)
  (func (export "maybe") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 call $maybe)
  (func (export "try_make") (param i32 i32) local.get 0 local.get 1 call $try_make)
  (func (export "names") (param i32 i32) (result i32) local.get 0 local.get 1 call $names)
  (func (export "repeat") (param i32 i32 i32 i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $repeat)
  (func (export "named_get") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 call $named_get)
  (func (export "take_all") (param i32 i32) (result i32) local.get 0 local.get 1 call $take_all)
  (func (export "peek_all") (param i32 i32) (result i32) local.get 0 local.get 1 call $peek_all)
  (func (export "wide") (param i32) (result i64) local.get 0 call $wide)
  (func (export "mixed") (param i32 i64) (result i64) local.get 0 local.get 1 call $mixed)
  (func (export "deep") (param i32 i32 i32) (result i32) local.get 0 local.get 1 local.get 2 call $deep)
  (func (export "live") (result i32) call $live)
  (func (export "dtors") (result i32) call $dtors)
  ;; no handles: a direct call
  (func (export "scale") (param i64 f32 f64) (result f64)
    local.get 0 local.get 1 local.get 2 call $scale)
  ;; own results (constructor), borrows (methods), own in and out (merge): 10+3+5 = 18
  (func (export "basic") (result i32)
    (local $a i32) (local $b i32) (local $c i32)
    i32.const 10 call $mk local.set $a
    i32.const 5 call $mk local.set $b
    local.get $a i32.const 3 call $add
    local.get $a local.get $b call $merge local.set $c
    local.get $c call $get
    local.get $b call $drop
    local.get $c call $drop)
  ;; handles are small indices in app's own table: the first is 1
  (func (export "first_handle") (result i32)
    (local $a i32)
    i32.const 0 call $mk local.tee $a
    local.get $a call $drop)
  ;; through svc: a borrow lent on twice, an own moved into svc and dropped there, an own
  ;; created by svc and moved to app: 4 + 40 + 400 (+ the checks below) = 444
  (func (export "via_svc") (result i32)
    (local $a i32) (local $g i32) (local $r i32)
    i32.const 4 call $mk local.set $a
    local.get $a call $peek
    i32.const 40 call $mk call $take i32.add
    i32.const 400 call $give local.tee $g call $get i32.add local.set $r
    local.get $a call $drop
    local.get $g call $drop
    local.get $r)
  ;; dup: two owners, the destructor runs when the last is dropped; returns
  ;; (dtors after the first drop - before) * 10 + (dtors after the second - before) = 1
  (func (export "dup_refcount") (result i32)
    (local $a i32) (local $b i32) (local $d0 i32) (local $d1 i32)
    call $dtors local.set $d0
    i32.const 1 call $mk local.tee $a call $dup local.set $b
    local.get $b call $get drop
    local.get $a call $drop
    call $dtors local.get $d0 i32.sub local.set $d1
    local.get $b call $drop
    local.get $d1 i32.const 10 i32.mul
    call $dtors local.get $d0 i32.sub i32.add)
  ;; destroy runs the destructor now; dropping the other (null) handle then runs nothing
  (func (export "destroy_then_drop") (result i32)
    (local $a i32) (local $b i32) (local $d0 i32)
    call $dtors local.set $d0
    i32.const 1 call $mk local.tee $a call $dup local.set $b
    local.get $a call $destroy
    local.get $b call $drop
    call $dtors local.get $d0 i32.sub)
  ;; a resource without a destructor
  (func (export "other") (result i32)
    (local $o i32)
    call $mk_other local.tee $o
    local.get $o call $drop_other)
  ;; n live handles at once (at address 0.. of app's memory), read back, then dropped
  (func $many (export "many") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    block $done loop $l
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $i i32.const 4 i32.mul local.get $i call $mk i32.store
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    i32.const 0 local.set $i
    block $done loop $l
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $i i32.const 4 i32.mul i32.load call $get
      local.get $i i32.ne if unreachable end
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    call $live local.set $sum
    i32.const 0 local.set $i
    block $done loop $l
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $i i32.const 4 i32.mul i32.load call $drop
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    local.get $sum)
  (func (export "many100k") (result i32) i32.const 100001 call $many)
  ;; ---- traps ----
  ;; svc calls hooks.poke back while $lent is lent to it: poke drops it
  (global $lent (mut i32) (i32.const 0))
  (func (export "example:counter/hooks#poke")
    global.get $lent call $drop)
  (func (export "drop_lent")
    i32.const 1 call $mk global.set $lent
    global.get $lent call $peek_poke)
  ;; with svc wired to another instance of lib, the borrow app lends svc is of the type
  ;; app's lib defines, which svc cannot pass to its own lib
  (func (export "peek") (result i32)
    i32.const 5 call $mk call $peek)
  (func (export "double_drop")
    (local $a i32)
    i32.const 1 call $mk local.tee $a call $drop
    local.get $a call $drop)
  (func (export "use_after_drop") (result i32)
    (local $a i32)
    i32.const 1 call $mk local.tee $a call $drop
    local.get $a call $get)
  (func (export "move_after_drop")
    (local $a i32)
    i32.const 1 call $mk local.tee $a call $drop
    local.get $a call $take drop)
  ;; the same two through the adapters' nested path: inside an option, inside a list
  (func (export "move_after_drop_nested")
    (local $a i32)
    i32.const 1 call $mk local.tee $a call $drop
    i32.const 1 local.get $a i32.const 2048 call $maybe)
  (func (export "wrong_type_in_list") (result i32)
    i32.const 2048 call $mk_other i32.store
    i32.const 2048 i32.const 1 call $take_all)
  (func (export "never_issued") (result i32)
    i32.const 77 call $get)
  ;; an `other` handle where a `counter` is expected
  (func (export "wrong_type") (result i32)
    call $mk_other call $get)
  (func (export "wrong_type_drop")
    call $mk_other call $drop)
  (func (export "borrow_kept")
    i32.const 1 call $mk call $keep)
  ;; absorb(b: borrow, a: own) with the same handle: b is lent when a is moved
  (func (export "move_lent") (result i32)
    (local $a i32)
    i32.const 1 call $mk local.set $a
    local.get $a local.get $a call $absorb)
  (func (export "use_after_destroy") (result i32)
    (local $a i32) (local $b i32)
    i32.const 1 call $mk local.tee $a call $dup local.set $b
    local.get $a call $destroy
    local.get $b call $get)
  (func (export "dup_after_destroy")
    (local $a i32) (local $b i32)
    i32.const 1 call $mk local.tee $a call $dup local.set $b
    local.get $a call $destroy
    local.get $b call $dup drop)
  ;; the command entry: three counters left for teardown
  (func (export "_start")
    i32.const 1 call $mk drop
    i32.const 2 call $mk drop
    i32.const 3 call $mk call $dup drop))
