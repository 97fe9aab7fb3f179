;; Defines `counter` (a u32 cell in this instance's memory; the rep is its address) with a
;; destructor, and `other` without one.
(module
  (import "[export]example:counter/api" "[resource-new]counter" (func $new (param i32) (result i32)))
  (import "[export]example:counter/api" "[resource-rep]counter" (func $rep (param i32) (result i32)))
  (import "[export]example:counter/api" "[resource-drop]counter" (func $drop (param i32)))
  (import "[export]example:counter/api" "[resource-new]other" (func $new_other (param i32) (result i32)))
  (memory 32)
  (global $next (mut i32) (i32.const 16))
  (global $live (mut i32) (i32.const 0))
  (global $dtors (mut i32) (i32.const 0))
  (func $make (export "example:counter/api#[constructor]counter") (param $start i32) (result i32)
    (local $r i32)
    global.get $next local.set $r
    global.get $next i32.const 4 i32.add global.set $next
    local.get $r local.get $start i32.store
    global.get $live i32.const 1 i32.add global.set $live
    local.get $r call $new)
  ;; a borrow into the definer arrives as the rep
  (func (export "example:counter/api#[method]counter.add") (param $self i32) (param $n i32)
    local.get $self local.get $self i32.load local.get $n i32.add i32.store)
  (func (export "example:counter/api#[method]counter.get") (param $self i32) (result i32)
    local.get $self i32.load)
  ;; an own arrives as a handle in this instance's table
  (func (export "example:counter/api#[static]counter.merge") (param $a i32) (param $b i32) (result i32)
    (local $v i32)
    local.get $a call $rep i32.load local.get $b i32.load i32.add local.set $v
    local.get $a call $drop
    local.get $v call $make)
  (func (export "example:counter/api#[static]counter.absorb") (param $b i32) (param $a i32) (result i32)
    local.get $a call $drop
    local.get $b i32.load)
  (func (export "example:counter/api#[dtor]counter") (param $r i32)
    ;; poison the cell: a use after the destructor reads 0xdead
    local.get $r i32.const 0xdead i32.store
    global.get $live i32.const 1 i32.sub global.set $live
    global.get $dtors i32.const 1 i32.add global.set $dtors)
  (func (export "example:counter/api#[constructor]other") (result i32)
    i32.const 7 call $new_other)
  (func (export "example:counter/api#live") (result i32) global.get $live)
  (func (export "example:counter/api#dtors") (result i32) global.get $dtors)
  (func (export "example:counter/api#scale") (param i64 f32 f64) (result f64)
    local.get 0 f64.convert_i64_s local.get 1 f64.promote_f32 f64.mul local.get 2 f64.add)
  ;; cabi_realloc: a bump allocator from 1 MiB up, growing the memory as needed
  (global $heap (mut i32) (i32.const 0x100000))
  (func $realloc (export "cabi_realloc") (param $old i32) (param $osize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    global.get $heap local.get $align i32.add i32.const 1 i32.sub
    i32.const 0 local.get $align i32.sub i32.and local.set $p
    local.get $p local.get $size i32.add global.set $heap
    block $ok loop $grow
      global.get $heap memory.size i32.const 16 i32.shl i32.le_u br_if $ok
      i32.const 16 memory.grow i32.const -1 i32.eq if unreachable end
      br $grow end end
    local.get $p)
  ;; example:counter/text: the return area is at 0xfff00
  (global $posts (mut i32) (i32.const 0))
  (func (export "example:counter/text#echo") (param $p i32) (param $n i32) (result i32)
    i32.const 0xfff00 local.get $p i32.store
    i32.const 0xfff04 local.get $n i32.store
    i32.const 0xfff00)
  (func (export "cabi_post_example:counter/text#echo") (param i32)
    local.get 0 i32.const 0xfff00 i32.ne if unreachable end
    global.get $posts i32.const 1 i32.add global.set $posts)
  (func (export "example:counter/text#sum") (param $p i32) (param $n i32) (result i64)
    (local $s i64)
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i64.load32_u i64.add local.set $s
      local.get $p i32.const 4 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $s)
  (func (export "example:counter/text#rev") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $t i32)
    local.get $n i32.const 1 i32.sub local.set $j
    block $done loop $l
      local.get $i local.get $j i32.ge_s br_if $done
      local.get $p local.get $i i32.const 1 i32.shl i32.add i32.load16_u local.set $t
      local.get $p local.get $i i32.const 1 i32.shl i32.add
      local.get $p local.get $j i32.const 1 i32.shl i32.add i32.load16_u i32.store16
      local.get $p local.get $j i32.const 1 i32.shl i32.add local.get $t i32.store16
      local.get $i i32.const 1 i32.add local.set $i
      local.get $j i32.const 1 i32.sub local.set $j
      br $l end end
    i32.const 0xfff00 local.get $p i32.store
    i32.const 0xfff04 local.get $n i32.store
    i32.const 0xfff00)
  (func (export "example:counter/text#pair") (param $a i32) (result i32)
    i32.const 0xfff10 local.get $a i32.store
    i32.const 0xfff18 local.get $a i64.extend_i32_u i64.const 1000000000000 i64.mul i64.store
    i32.const 0xfff10)
  (func (export "example:counter/text#posts") (result i32) global.get $posts)
  ;; example:counter/nested: the return area is at 0xfff40
  (data (i32.const 0xfff80) "zero")
  (func (export "example:counter/nested#maybe") (param $disc i32) (param $h i32) (result i32)
    i32.const 0xfff40 local.get $disc i32.store8
    i32.const 0xfff44 local.get $h i32.store
    i32.const 0xfff40)
  (func (export "example:counter/nested#try-make") (param $v i32) (result i32)
    local.get $v i32.eqz if
      i32.const 0xfff40 i32.const 1 i32.store8
      i32.const 0xfff44 i32.const 0xfff80 i32.store
      i32.const 0xfff48 i32.const 4 i32.store
    else
      i32.const 0xfff40 i32.const 0 i32.store8
      i32.const 0xfff44 local.get $v call $make i32.store
    end
    i32.const 0xfff40)
  ;; the sum of every byte of every string (in this memory, as the adapter left them)
  (func $bytes (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load8_u i32.add local.set $s
      local.get $p i32.const 1 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $s)
  (func (export "example:counter/nested#names") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load local.get $p i32.load offset=4 call $bytes i32.add local.set $s
      local.get $p i32.const 8 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $s)
  ;; n elements all pointing at this instance's copy of s
  (func (export "example:counter/nested#repeat") (param $p i32) (param $len i32) (param $n i32) (result i32)
    (local $list i32) (local $i i32)
    i32.const 0 i32.const 0 i32.const 4 local.get $n i32.const 8 i32.mul call $realloc local.set $list
    block $done loop $l
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $list local.get $i i32.const 8 i32.mul i32.add local.get $p i32.store
      local.get $list local.get $i i32.const 8 i32.mul i32.add local.get $len i32.store offset=4
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    i32.const 0xfff40 local.get $list i32.store
    i32.const 0xfff44 local.get $n i32.store
    i32.const 0xfff40)
  ;; record { name: string, c: own<counter> } flat: name ptr, name len, handle
  (func (export "example:counter/nested#named-get") (param $p i32) (param $n i32) (param $h i32) (result i32)
    (local $v i32)
    local.get $h call $rep i32.load local.set $v
    local.get $h call $drop
    local.get $v local.get $p local.get $n call $bytes i32.add)
  (func (export "example:counter/nested#take-all") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load call $rep i32.load i32.add local.set $s
      local.get $p i32.load call $drop
      local.get $p i32.const 4 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $s)
  ;; borrows into the definer: the reps themselves
  (func (export "example:counter/nested#peek-all") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $l
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load i32.load i32.add local.set $s
      local.get $p i32.const 4 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $l end end
    local.get $s)
  ;; the parameters as a tuple in this memory: 15 u64 at 0..119, string at 120, own at 128
  (func (export "example:counter/nested#wide") (param $p i32) (result i64)
    (local $i i32) (local $s i64)
    block $done loop $l
      local.get $i i32.const 15 i32.ge_u br_if $done
      local.get $s local.get $p local.get $i i32.const 8 i32.mul i32.add i64.load i64.add local.set $s
      local.get $i i32.const 1 i32.add local.set $i
      br $l end end
    local.get $s
    local.get $p i32.load offset=120 local.get $p i32.load offset=124 call $bytes i64.extend_i32_u i64.add
    local.get $p i32.load offset=128 call $rep i32.load i64.extend_i32_u i64.add
    local.get $p i32.load offset=128 call $drop)
  (func (export "example:counter/nested#mixed") (param $disc i32) (param $v i64) (result i64)
    (local $h i32) (local $r i64)
    local.get $disc if (result i64)
      local.get $v
    else
      local.get $v i32.wrap_i64 local.tee $h call $rep i64.load32_u local.set $r
      local.get $h call $drop
      local.get $r
    end)
  ;; none: 1000, some(none): 2000, some(some(c)): c's value
  (func (export "example:counter/nested#deep") (param $d1 i32) (param $d2 i32) (param $h i32) (result i32)
    (local $r i32)
    local.get $d1 i32.eqz if i32.const 1000 return end
    local.get $d2 i32.eqz if i32.const 2000 return end
    local.get $h call $rep i32.load local.set $r
    local.get $h call $drop
    local.get $r))
