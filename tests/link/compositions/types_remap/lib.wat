;; lib: block types given by type index (multi-value params and results), loops with
;; parameters, call_indirect by type index, typed select, br_table
(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (type $bin (func (param i32 i32) (result i32)))
  (type $acc (func (param i64 i32) (result i64 i32)))
  (table 4 funcref)
  (func $sub (type $bin) local.get 0 local.get 1 i32.sub)
  (func $mul (type $bin) local.get 0 local.get 1 i32.mul)
  (func $xor (type $bin) local.get 0 local.get 1 i32.xor)
  (elem (i32.const 0) func $sub $mul $xor)
  (func (export "swap_add") (type $bin)
    local.get 0 local.get 1
    block (type $pair)
      (local.set 0) (local.set 1) (local.get 0) (local.get 1)
    end
    i32.sub)
  (func (export "dispatch") (param $i i32) (param $a i32) (param $b i32) (result i32)
    local.get $a local.get $b local.get $i call_indirect (type $bin))
  ;; fold(n) = sum of k*k for k < n (at least k = 0), a loop carrying (acc, k)
  (func (export "fold") (param $n i32) (result i64)
    (local $k i32)
    i64.const 0 i32.const 0
    loop $l (type $acc)
      local.set $k
      local.get $k i64.extend_i32_u local.get $k i64.extend_i32_u i64.mul i64.add
      local.get $k i32.const 1 i32.add local.tee $k
      local.get $k local.get $n i32.lt_u
      br_if $l
    end
    drop)
  (func (export "classify") (param $x i32) (result i32)
    block $c
      block $b
        block $a
          local.get $x
          br_table $a $b $c
        end
        i32.const 100 i32.const 200 local.get $x select (result i32)
        return
      end
      i32.const 300 return
    end
    i32.const 400))
