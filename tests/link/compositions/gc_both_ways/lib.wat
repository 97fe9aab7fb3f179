;; lib: GC data structures and functions app calls with its own values.
(module
  (type $node (sub (struct (field $v i32) (field $next (mut (ref null $node))))))
  (type $leaf (sub $node (struct (field $v i32) (field $next (mut (ref null $node))) (field $w i64))))
  (type $bytes (array (mut i8)))
  (type $cb (func (param i32) (result i32)))
  ;; an explicit rec group of two mutually recursive types, defined the same in app
  (rec
    (type $tree (struct (field $val i32) (field $kids (ref null $forest))))
    (type $forest (array (mut (ref null $tree)))))
  ;; a function type with a declared subtype: app imports make_sub as the supertype
  (type $fbase (sub (func (param i32) (result (ref $node)))))
  (type $fsub (sub $fbase (func (param i32) (result (ref $node)))))
  (elem declare func $inc)
  ;; a table and a global of GC reference types, imported by app with its own equal types
  (table $cbs (export "cbs") 2 (ref null $cb))
  (elem (table $cbs) (i32.const 0) (ref null $cb) (ref.func $inc))
  (global $last (export "last") (mut (ref null $node)) (ref.null $node))

  (func (export "make") (param $v i32) (param $next (ref null $node)) (result (ref $node))
    (global.set $last (struct.new $node (local.get $v) (local.get $next)))
    (ref.as_non_null (global.get $last)))
  (func (export "make_leaf") (param $v i32) (param $w i64) (result (ref $node))
    (struct.new $leaf (local.get $v) (ref.null $node) (local.get $w)))
  (func $make_sub (export "make_sub") (type $fsub) (param $v i32) (result (ref $node))
    (struct.new $node (i32.mul (local.get $v) (i32.const 10)) (ref.null $node)))

  ;; the values of a chain, plus w of every leaf: the cast succeeds only for a $leaf,
  ;; which for app's leaves means app's $leaf is lib's
  (func (export "sum") (param $n (ref null $node)) (result i32)
    (local $s i32)
    (block $done
      (loop $l
        (br_if $done (ref.is_null (local.get $n)))
        (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $n))))
        (if (ref.test (ref $leaf) (local.get $n))
          (then (local.set $s (i32.add (local.get $s)
            (i32.wrap_i64 (struct.get $leaf $w (ref.cast (ref $leaf) (local.get $n))))))))
        (local.set $n (struct.get $node $next (local.get $n)))
        (br $l)))
    (local.get $s))
  (func (export "is_node") (param $x anyref) (result i32)
    (ref.test (ref $node) (local.get $x)))
  (func (export "is_leaf") (param $x anyref) (result i32)
    (ref.test (ref $leaf) (local.get $x)))
  (func (export "set_next") (param $n (ref $node)) (param $next (ref null $node))
    (struct.set $node $next (local.get $n) (local.get $next)))

  (func (export "bytes_sum") (param $a (ref $bytes)) (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $a))))
        (local.set $s (i32.add (local.get $s) (array.get_u $bytes (local.get $a) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "bytes_new") (param $n i32) (result (ref $bytes))
    (array.new $bytes (i32.const 3) (local.get $n)))

  (func $inc (type $cb) (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
  (func (export "apply") (param $f (ref $cb)) (param $x i32) (result i32)
    (call_ref $cb (local.get $x) (local.get $f)))
  (func (export "inc_ref") (result (ref $cb)) (ref.func $inc))

  ;; the sum of a tree's values, whoever built it
  (func $tree_sum (export "tree_sum") (param $t (ref null $tree)) (result i32)
    (local $s i32) (local $i i32) (local $f (ref null $forest))
    (if (ref.is_null (local.get $t)) (then (return (i32.const 0))))
    (local.set $s (struct.get $tree $val (local.get $t)))
    (local.set $f (struct.get $tree $kids (local.get $t)))
    (if (ref.is_null (local.get $f)) (then (return (local.get $s))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $f))))
        (local.set $s (i32.add (local.get $s)
          (call $tree_sum (array.get $forest (local.get $f) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "leaf_tree") (param $v i32) (result (ref $tree))
    (struct.new $tree (local.get $v) (ref.null $forest)))
  (func (export "i31") (param $x i32) (result i31ref) (ref.i31 (local.get $x)))
  (func (export "i31_back") (param $x i31ref) (result i32) (i31.get_s (local.get $x)))
)
