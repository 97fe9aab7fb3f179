#!/usr/bin/env python3
"""gen_gc.py — a large GC module in WAT for bench-gc (no real one of that size is at hand).

usage: gen_gc.py lib GROUPS FUNCS > lib.wat    the library: GROUPS rec groups, FUNCS functions
       gen_gc.py app GROUPS > app.wat          a small module importing the library's makers

Each rec group g holds two struct types, $a<g> and its subtype $b<g> (one more f64 field),
and the library has one array type and one function type besides. Function f<k> works on
group k % GROUPS: a ref.test and ref.cast to the subtype, struct.get, a null check, a call
to f<k+GROUPS> on the next link (so every function is reachable from an export), an i31 round trip, an array and a call_ref, so the code
has every kind of type immediate the remap must renumber. `checksum` builds a chain in a
few groups and sums what the functions return: the value a fused output must reproduce.
The app defines some of the same rec groups (identical text, so identical types once
merged) and imports make<g> and f<g> typed with them; its `run` calls through them.
"""
import sys


def group(g):
    return (f"  (rec\n"
            f"    (type $a{g} (sub (struct (field $x i32) (field $next (mut (ref null $a{g}))))))\n"
            f"    (type $b{g} (sub $a{g} (struct (field $x i32) (field $next (mut (ref null $a{g}))) (field $y f64)))))\n")


def lib(groups, funcs):
    out = ["(module\n"]
    out += [group(g) for g in range(groups)]
    out.append("  (type $arr (array (mut i32)))\n  (type $fn (func (param i32) (result i32)))\n")
    out.append("  (elem declare func $h)\n")
    out.append("  (func $h (type $fn) (param $v i32) (result i32) (i32.mul (local.get $v) (i32.const 3)))\n")
    for g in range(groups):
        out.append(
            f"  (func $make{g} (export \"make{g}\") (param $v i32) (param $n (ref null $a{g})) (result (ref $a{g}))\n"
            f"    (if (result (ref $a{g})) (i32.and (local.get $v) (i32.const 1))\n"
            f"      (then (struct.new $b{g} (local.get $v) (local.get $n) (f64.convert_i32_s (local.get $v))))\n"
            f"      (else (struct.new $a{g} (local.get $v) (local.get $n)))))\n")
    for k in range(funcs):
        g = k % groups
        rec = f"(call $f{k + groups} (struct.get $a{g} $next (local.get $p)))" \
            if k + groups < funcs else f"(i32.const {k})"
        export = f" (export \"f{k}\")" if k < groups else ""
        out.append(
            f"  (func $f{k}{export} (param $p (ref null $a{g})) (result i32)\n"
            f"    (local $b (ref null $b{g})) (local $arr (ref null $arr))\n"
            f"    (if (ref.is_null (local.get $p)) (then (return (i32.const {k % 97}))))\n"
            f"    (if (ref.test (ref $b{g}) (local.get $p))\n"
            f"      (then (local.set $b (ref.cast (ref $b{g}) (local.get $p)))\n"
            f"            (return (i32.add (struct.get $b{g} $x (local.get $b))\n"
            f"                             (i32.trunc_f64_s (struct.get $b{g} $y (local.get $b)))))))\n"
            f"    (local.set $arr (array.new $arr (i32.const {k % 13}) (i32.const 2)))\n"
            f"    (i32.add (i32.add (struct.get $a{g} $x (local.get $p)) {rec})\n"
            f"      (i32.add (i31.get_s (ref.i31 (array.get $arr (local.get $arr) (i32.const 1))))\n"
            f"        (call_ref $fn (array.len (local.get $arr)) (ref.func $h)))))\n")
    sample = [g for g in range(0, groups, max(1, groups // 8))]
    body = "".join(
        f"    (local.set $s (i32.add (local.get $s) (call $f{g} (call $make{g} (i32.const {g + 2})"
        f" (call $make{g} (i32.const {g + 1}) (ref.null $a{g}))))))\n" for g in sample)
    out.append(f"  (func (export \"checksum\") (result i32) (local $s i32)\n{body}    (local.get $s))\n")
    out.append(")\n")
    return "".join(out)


def app(groups):
    used = [g for g in range(0, groups, max(1, groups // 4))]
    out = ["(module\n"]
    out += [group(g) for g in used]
    for g in used:
        out.append(f"  (import \"lib\" \"make{g}\" (func $make{g} (param i32) (param (ref null $a{g})) (result (ref $a{g}))))\n")
        out.append(f"  (import \"lib\" \"f{g}\" (func $f{g} (param (ref null $a{g})) (result i32)))\n")
    body = "".join(
        f"    (local.set $s (i32.add (local.get $s) (call $f{g} (call $make{g} (i32.const {g + 5})"
        f" (call $make{g} (i32.const {g + 4}) (ref.null $a{g}))))))\n" for g in used)
    out.append(f"  (func (export \"run\") (result i32) (local $s i32)\n{body}    (local.get $s))\n")
    out.append(")\n")
    return "".join(out)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "lib":
        sys.stdout.write(lib(int(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) == 3 and sys.argv[1] == "app":
        sys.stdout.write(app(int(sys.argv[2])))
    else:
        sys.exit(__doc__)
