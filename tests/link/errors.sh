#!/usr/bin/env bash
# Every error path of `membrane link`: exit status 1, the message on stderr names what it
# must (both instances, the import, the export and both types for a mismatch), and no
# output file is left behind (nor a temporary one). Also: warnings for dropped custom
# sections, --dry-run writes nothing, --dot writes a graph.
#
# With NODE and WASM_AS (binaryen's, a JS file), also GC (Wasm 3.0) modules whose imports
# and exports do not match (struct fields, subtype direction, nullability): both types
# as text, the struct types they name spelled out; and what must be accepted.
#
# usage: errors.sh MEMBRANE WAT2WASM WASM_VALIDATE [NODE WASM_AS]
set -u
# the script changes directory: make relative paths (as meson passes them) absolute
abs() { case $1 in /*) printf '%s' "$1" ;; */*) printf '%s/%s' "$PWD" "$1" ;; *) printf '%s' "$1" ;; esac; }
membrane=$(abs "$1")
wat2wasm=$(abs "$2")
wasm_validate=$(abs "$3")
node=${4:+$(abs "$4")}
wasm_as=${5:+$(abs "$5")}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/link-errors.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in" "$tmp/out"
cd "$tmp/in" || exit 2

failures=0
cases=0
bad() {
  failures=$((failures + 1))
  printf 'FAIL %s: %s\n' "$case" "$*"
}

# wat NAME 'MODULE TEXT': NAME.wasm in the input directory
wat() {
  printf '%s\n' "$2" > "$1.wat"
  "$wat2wasm" --enable-all "$1.wat" -o "$1.wasm" || { echo "wat2wasm $1 failed"; exit 2; }
}

# expect_error CASE 'substring' ... -- ARGS: membrane link ARGS fails with status 1, each
# substring is on stderr, and the output directory stays empty.
expect_error() {
  case=$1
  shift
  local want=()
  while [ "$1" != "--" ]; do want+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  local before=$failures
  rm -rf "$tmp/out" && mkdir "$tmp/out"
  "$membrane" link "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local status=$?
  [ "$status" -eq 1 ] || bad "exit status $status, expected 1"
  for w in "${want[@]}"; do
    grep -qF -- "$w" "$tmp/stderr" || bad "stderr lacks '$w'"
  done
  [ "$(wc -l < "$tmp/stderr")" -ge 1 ] || bad "no message"
  local left
  left=$(ls -A "$tmp/out")
  [ -z "$left" ] || bad "left in the output directory: $left"
  if [ "$failures" -gt "$before" ]; then
    printf '  $ membrane link %s\n  stderr: %s\n' "$*" "$(cat "$tmp/stderr")"
  fi
}

out=$tmp/out/out.wasm

# ---- inputs ----
wat lib '(module
  (func (export "f") (param i32) (result i32) local.get 0)
  (memory (export "mem") 2 4)
  (global (export "g") (mut i32) (i32.const 0))
  (global (export "c") i64 (i64.const 0))
  (table (export "t") 2 funcref)
  (func (export "run")))'
wat nomax '(module (memory (export "mem") 2))'
wat app '(module (import "lib" "f" (func (param i32) (result i32))) (func (export "run")))'
wat kind '(module (import "lib" "mem" (func)))'
wat kind2 '(module (import "lib" "f" (global i32)))'
wat sig '(module (import "lib" "f" (func (param i64) (result i32))))'
wat sig2 '(module (import "lib" "f" (func (param i32))))'
wat gmut '(module (import "lib" "g" (global i32)))'
wat gmut2 '(module (import "lib" "c" (global (mut i64))))'
wat gtype '(module (import "lib" "c" (global i32)))'
wat memmin '(module (import "lib" "mem" (memory 3)))'
wat memmax '(module (import "lib" "mem" (memory 1 4)))'
wat memmaxlow '(module (import "lib" "mem" (memory 1 3)))'
wat memshared '(module (import "lib" "mem" (memory 1 4 shared)))'
wat mem64 '(module (import "lib" "mem" (memory i64 1)))'
wat tabtype '(module (import "lib" "t" (table 1 externref)))'
wat tabmin '(module (import "lib" "t" (table 3 funcref)))'
wat missing '(module (import "lib" "nope" (func)))'
wat unres '(module (import "lib" "f" (func (param i32) (result i32))) (import "env" "h" (func)))'
wat selfimp '(module (import "selfimp" "f" (func)) (func (export "f")))'
# a start function on an import cycle, in every position
wat cyca '(module (import "cycb" "f" (func)) (func (export "g")) (func $s) (start $s))'
wat cycb '(module (import "cyca" "g" (func)) (func (export "f")))'
wat tri1 '(module (import "tri2" "f" (func)) (func (export "f")))'
wat tri2 '(module (import "tri3" "f" (func)) (func (export "f")) (func $s) (start $s))'
wat tri3 '(module (import "tri1" "f" (func)) (func (export "f")))'
wat reactor '(module (import "cycb" "f" (func)) (func (export "g")) (func (export "_initialize")))'
# re-exports that never reach a definition
wat rea '(module (import "reb" "f" (func)) (export "f" (func 0)))'
wat reb '(module (import "rea" "f" (func)) (export "f" (func 0)))'
# two WASI users with different memories
wat wa '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1) (func (export "x")))'
wat wb '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (memory (export "memory") 1) (func (export "y")))'
# the main instance exports a function called "memory" while another calls WASI
wat memfunc '(module (import "wa" "x" (func)) (func (export "memory")))'
printf '\0asm\1\0\0\0\1\5\1\x60\0' > trunc.wasm
printf '\0asn\1\0\0\0' > badmagic.wasm
printf '\0asm\1\0\0\0\x0f\0' > badsec.wasm
# a body with an unknown opcode 0xff at byte 23
printf '\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0\n\5\1\3\0\xff\x0b' > badcode.wasm
: > empty.wasm

# ---- unknown instances ----
expect_error wire-unknown-provider "--wire app.lib=nope" "no instance called 'nope'" -- \
  app=app.wasm lib=lib.wasm --wire app.lib=nope -o "$out"
expect_error wire-unknown-consumer "--wire nope.lib=lib" "no instance called 'nope'" -- \
  app=app.wasm lib=lib.wasm --wire nope.lib=lib -o "$out"
expect_error export-unknown-instance "--export nope.f" "no instance called 'nope'" -- \
  app=app.wasm lib=lib.wasm --export nope.f -o "$out"
expect_error main-unknown "--main" "no instance called 'nope'" -- \
  app=app.wasm lib=lib.wasm --main nope -o "$out"

# ---- missing exports ----
expect_error export-missing "--export lib.nope" "instance 'lib'" "no export 'nope'" -- \
  app=app.wasm lib=lib.wasm --export lib.nope -o "$out"
expect_error import-missing "instance 'missing'" "lib.nope" "instance 'lib'" "no export 'nope'" -- \
  missing=missing.wasm lib=lib.wasm -o "$out"
expect_error wire-missing "instance 'app'" "lib.f" "instance 'nomax'" "no export 'f'" -- \
  app=app.wasm lib=lib.wasm nomax=nomax.wasm --wire app.lib=nomax -o "$out"

# ---- type mismatches: both instances, the import, the export, both types ----
expect_error kind-mismatch "instance 'kind'" "lib.mem" "func" "instance 'lib'" "'mem'" "memory" -- \
  kind=kind.wasm lib=lib.wasm -o "$out"
expect_error kind-mismatch-global "instance 'kind2'" "lib.f" "global" "instance 'lib'" "'f'" "func" -- \
  kind2=kind2.wasm lib=lib.wasm -o "$out"
expect_error signature-params "instance 'sig'" "lib.f" "instance 'lib'" "'f'" \
  "(i64) -> (i32)" "(i32) -> (i32)" -- sig=sig.wasm lib=lib.wasm -o "$out"
expect_error signature-results "instance 'sig2'" "lib.f" "instance 'lib'" "'f'" \
  "(i32) -> ()" "(i32) -> (i32)" -- sig2=sig2.wasm lib=lib.wasm -o "$out"
expect_error global-mutability "instance 'gmut'" "lib.g" "instance 'lib'" "'g'" \
  "global i32" "global mut i32" -- gmut=gmut.wasm lib=lib.wasm -o "$out"
expect_error global-mutability-2 "instance 'gmut2'" "lib.c" "instance 'lib'" "'c'" \
  "global mut i64" "global i64" -- gmut2=gmut2.wasm lib=lib.wasm -o "$out"
expect_error global-type "instance 'gtype'" "lib.c" "instance 'lib'" "'c'" \
  "global i32" "global i64" -- gtype=gtype.wasm lib=lib.wasm -o "$out"
expect_error memory-min "instance 'memmin'" "lib.mem" "instance 'lib'" "'mem'" \
  "memory 3" "memory 2..4" -- memmin=memmin.wasm lib=lib.wasm -o "$out"
expect_error memory-max-missing "instance 'memmax'" "lib.mem" "instance 'lib'" "'mem'" \
  "memory 1..4" "as memory 2" -- memmax=memmax.wasm lib=nomax.wasm -o "$out"
expect_error memory-max-larger "instance 'memmaxlow'" "lib.mem" "instance 'lib'" "'mem'" \
  "memory 1..3" "memory 2..4" -- memmaxlow=memmaxlow.wasm lib=lib.wasm -o "$out"
expect_error memory-shared "instance 'memshared'" "lib.mem" "instance 'lib'" "'mem'" \
  "memory 1..4 shared" "memory 2..4" -- memshared=memshared.wasm lib=lib.wasm -o "$out"
expect_error memory-64 "instance 'mem64'" "lib.mem" "instance 'lib'" "'mem'" \
  "memory i64 1" "memory 2..4" -- mem64=mem64.wasm lib=lib.wasm -o "$out"
expect_error table-elemtype "instance 'tabtype'" "lib.t" "instance 'lib'" "'t'" \
  "table externref 1" "table funcref 2" -- tabtype=tabtype.wasm lib=lib.wasm -o "$out"
expect_error table-min "instance 'tabmin'" "lib.t" "instance 'lib'" "'t'" \
  "table funcref 3" "table funcref 2" -- tabmin=tabmin.wasm lib=lib.wasm -o "$out"

# ---- unresolved imports ----
expect_error require-resolved "instance 'unres'" "env.h" "--require-resolved" -- \
  unres=unres.wasm lib=lib.wasm --require-resolved -o "$out"

# ---- cycles ----
expect_error start-cycle "cycle" "'cyca'" "cycb" -- cyca=cyca.wasm cycb=cycb.wasm -o "$out"
expect_error start-cycle-other-order "cycle" "'cyca'" "cycb" -- \
  cycb=cycb.wasm cyca=cyca.wasm -o "$out"
expect_error start-cycle-of-three "cycle" "'tri2'" "tri1" "tri3" -- \
  tri1=tri1.wasm tri2=tri2.wasm tri3=tri3.wasm -o "$out"
expect_error initialize-cycle "cycle" "'reactor'" "_initialize" -- \
  cycb=cycb.wasm reactor=reactor.wasm --wire cycb.cyca=reactor -o "$out"
expect_error reexport-cycle "cycle" "rea" "f" -- rea=rea.wasm reb=reb.wasm -o "$out"
expect_error self-import "instance 'selfimp'" "selfimp.f" "itself" -- \
  selfimp=selfimp.wasm -o "$out"
expect_error self-wire "instance 'app'" "lib.f" "itself" -- \
  app=app.wasm lib=lib.wasm --wire app.lib=app -o "$out"

# ---- WASI and exports ----
expect_error two-wasi-memories "'wa'" "'wb'" "WASI" "memor" -- wa=wa.wasm wb=wb.wasm -o "$out"
expect_error memory-export-taken "'memory'" "WASI" -- \
  memfunc=memfunc.wasm wa=wa.wasm -o "$out"
expect_error duplicate-export "two exports" "'x'" -- \
  app=app.wasm lib=lib.wasm --export lib.f=x --export app.run=x -o "$out"
expect_error duplicate-export-default-name "two exports" "'run'" -- \
  app=app.wasm lib=lib.wasm --export lib.run --export app.run -o "$out"

# ---- the command line ----
expect_error duplicate-instance "two instances are called 'app'" -- \
  app=app.wasm app=lib.wasm -o "$out"
expect_error duplicate-instance-by-stem "two instances are called 'app'" -- \
  app.wasm app=lib.wasm -o "$out"
cp app.wasm app.v1.wasm
cp app.wasm app.v2.wasm
expect_error duplicate-instance-by-first-dot "two instances are called 'app'" "app.v1.wasm and app.v2.wasm" \
  "NAME=FILE" -- app.v1.wasm app.v2.wasm -o "$out"
expect_error empty-name "instance name ''" -- =app.wasm -o "$out"
expect_error dotted-name "instance name 'a.b'" -- a.b=app.wasm -o "$out"
expect_error empty-file-name "cannot open" -- app= -o "$out"
expect_error no-output "no output file" "-o" -- app=app.wasm lib=lib.wasm
expect_error output-without-value "missing value after -o" -- app=app.wasm -o
expect_error no-inputs "no input modules" -- -o "$out"
expect_error bad-wire-spec "--wire 'app.lib'" "CONSUMER.MODULE=PROVIDER" -- \
  app=app.wasm lib=lib.wasm --wire app.lib -o "$out"
expect_error bad-export-spec "--export 'app'" "INSTANCE.NAME" -- \
  app=app.wasm lib=lib.wasm --export app -o "$out"
expect_error unknown-option "unknown option '--bogus'" -- app=app.wasm --bogus -o "$out"

# ---- unreadable and malformed inputs: the file and the byte offset ----
expect_error unreadable "cannot open nonexist.wasm" -- app=nonexist.wasm -o "$out"
expect_error directory "cannot" "$tmp/in" -- app="$tmp/in" -o "$out"
expect_error empty-file "empty.wasm" "offset 0" -- app=empty.wasm -o "$out"
expect_error truncated "trunc.wasm" "offset 8" "unexpected end" -- app=trunc.wasm -o "$out"
expect_error bad-magic "badmagic.wasm" "offset 0" "magic" -- app=badmagic.wasm -o "$out"
expect_error bad-section "badsec.wasm" "offset 8" "section id" -- app=badsec.wasm -o "$out"
expect_error bad-opcode "badcode.wasm" "offset 23" "opcode" -- \
  lib=lib.wasm app=badcode.wasm -o "$out"

# ---- an existing output file is left alone on error ----
case=existing-output-kept
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
printf 'previous' > "$out"
"$membrane" link sig=sig.wasm lib=lib.wasm -o "$out" 2> /dev/null
[ $? -eq 1 ] || bad "exit status, expected 1"
[ "$(cat "$out")" = previous ] || bad "the existing output was changed"
[ "$(ls -A "$tmp/out")" = out.wasm ] || bad "left behind: $(ls -A "$tmp/out")"

# A file called tool.core.wasm is the instance `tool` (the name others import it by),
# up to the first '.' of the file name.
case=default-name-first-dot
cases=$((cases + 1))
cp app.wasm app.core.wasm
cp lib.wasm lib.opt.v2.wasm
"$membrane" link app.core.wasm lib.opt.v2.wasm --dry-run > "$tmp/stdout" 2> "$tmp/stderr" ||
  bad "app.core.wasm lib.opt.v2.wasm refused: $(cat "$tmp/stderr")"
for w in "main: app" "app imports lib.f (func) <- lib"; do
  grep -qF -- "$w" "$tmp/stdout" || bad "--dry-run lacks '$w': $(cat "$tmp/stdout")"
done

# ---- warnings: dropped custom sections are named; names and producers are kept ----
case=dropped-custom-sections
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
# lib.wasm + ".debug_info" (payload 3 bytes), "sourceMappingURL", "producers" (language C 11),
# "target_features" (+simd)
{
  cat lib.wasm
  printf '\0\x0f\x0b.debug_info\1\2\3'
  printf '\0\x12\x10sourceMappingURLx'
  printf '\0\x1a\x09producers\x01\x08language\x01\x01C\x0211'
  printf '\0\x17\x0ftarget_features\x01\x2b\x04simd'
} > custom.wasm
"$membrane" link app=app.wasm lib=custom.wasm -o "$out" > "$tmp/stdout" 2> "$tmp/stderr"
status=$?
[ $status -eq 0 ] || bad "exit status $status: $(cat "$tmp/stderr")"
for w in warning "instance 'lib' (custom.wasm): DWARF (1 .debug_* section), 'sourceMappingURL'" \
         "membrane strip --keep-names"; do
  grep -qF -- "$w" "$tmp/stderr" || bad "stderr lacks '$w': $(cat "$tmp/stderr")"
done
[ "$(wc -l < "$tmp/stderr")" -eq 1 ] || bad "not one line: $(cat "$tmp/stderr")"
grep -qF "'producers'" "$tmp/stderr" && bad "producers reported as dropped"
grep -qF "target_features" "$tmp/stderr" && bad "target_features reported (dropped silently)"
grep -qF "instance 'app'" "$tmp/stderr" && bad "app has no custom sections but was warned about"
"$wasm_validate" --enable-multi-memory "$out" || bad "output does not validate"
grep -qaF ".debug_info" "$out" && bad ".debug_info is still in the output"
grep -qaF "producers" "$out" || bad "the producers section was dropped"
# two inputs with dropped sections: still one line, naming both
"$membrane" link app=custom.wasm lib=custom.wasm --dry-run > "$tmp/stdout" 2> "$tmp/stderr"
[ "$(wc -l < "$tmp/stderr")" -eq 1 ] || bad "not one line for two inputs: $(cat "$tmp/stderr")"
for w in "instance 'app' (custom.wasm): DWARF" "; instance 'lib' (custom.wasm): DWARF"; do
  grep -qF -- "$w" "$tmp/stderr" || bad "stderr lacks '$w': $(cat "$tmp/stderr")"
done

# ---- --dry-run writes nothing; --dot writes a graph ----
case=dry-run
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$membrane" link app=app.wasm lib=lib.wasm unres=unres.wasm --stub-missing --dry-run -o "$out" \
  > "$tmp/stdout" 2> "$tmp/stderr"
status=$?
[ $status -eq 0 ] || bad "exit status $status: $(cat "$tmp/stderr")"
for w in "app imports lib.f (func) <- lib" "unres imports env.h (func) <- trapping stub" \
         "main: app" "order"; do
  grep -qF -- "$w" "$tmp/stdout" || bad "stdout lacks '$w': $(cat "$tmp/stdout")"
done
[ -z "$(ls -A "$tmp/out")" ] || bad "--dry-run wrote $(ls -A "$tmp/out")"

case=dry-run-error
expect_error dry-run-error "instance 'sig'" "(i64) -> (i32)" -- \
  sig=sig.wasm lib=lib.wasm --dry-run -o "$out"

case=dot
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$membrane" link app=app.wasm lib=lib.wasm unres=unres.wasm --dot "$tmp/out/g.dot" \
  -o "$out" 2> "$tmp/stderr"
status=$?
[ $status -eq 0 ] || bad "exit status $status: $(cat "$tmp/stderr")"
for w in "digraph" '"app" -> "lib"' '"unres" -> "host"' 'label="env.h"'; do
  grep -qF -- "$w" "$tmp/out/g.dot" || bad "the graph lacks '$w': $(cat "$tmp/out/g.dot")"
done
[ -f "$out" ] || bad "--dot without --dry-run wrote no output module"
"$wasm_validate" --enable-multi-memory "$out" || bad "output does not validate"

# ---- the host's WASI is never "unresolved": not stubbed, not refused ----
case=wasi-stays-host
cases=$((cases + 1))
wat wasiuser '(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "h" (func))
  (memory (export "memory") 1))'
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$membrane" link w=wasiuser.wasm --stub-missing --dry-run > "$tmp/stdout" 2> "$tmp/stderr" ||
  bad "--stub-missing failed: $(cat "$tmp/stderr")"
grep -qF "w imports wasi_snapshot_preview1.proc_exit (func) <- host import" "$tmp/stdout" ||
  bad "a WASI import was stubbed: $(cat "$tmp/stdout")"
grep -qF "w imports env.h (func) <- trapping stub" "$tmp/stdout" ||
  bad "env.h was not stubbed: $(cat "$tmp/stdout")"
expect_error require-resolved-names-only-non-wasi "env.h" -- \
  w=wasiuser.wasm --require-resolved -o "$out"
grep -qF "proc_exit" "$tmp/stderr" && bad "--require-resolved refused a WASI import"

# ---- the resource ABI: WIT wiring, canonical ABI signatures, intrinsics ----
cat > api.wit <<'WIT'
package example:counter;
interface api {
  resource counter {
    constructor(start: u32);
    add: func(n: u32);
  }
  name: func() -> string;
  set-name: func(s: string);
  wide: func(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
             j: u64, k: u64, l: u64, m: u64, n: u64, o: u64, p: u64, q: u64);
}
world lib { export api; }
world app { import api; }
WIT
printf 'package example:bad;\ninterface x {\n  f: func(a: nope);\n}\n' > bad.wit
wat rlib '(module
  (import "[export]example:counter/api" "[resource-new]counter" (func (param i32) (result i32)))
  (func (export "example:counter/api#[constructor]counter") (param i32) (result i32) local.get 0)
  (func (export "example:counter/api#[method]counter.add") (param i32 i32))
  (memory 1)
  (func (export "example:counter/api#name") (result i32) i32.const 0)
  (func (export "example:counter/api#set-name") (param i32 i32))
  (func (export "example:counter/api#wide") (param i32)))'
wat rlibsig '(module
  (func (export "example:counter/api#[constructor]counter") (param i32) (result i64) i64.const 0)
  (func (export "example:counter/api#[method]counter.add") (param i32 i32)))'
wat rlibdtor '(module
  (import "[export]example:counter/api" "[resource-new]counter" (func (param i32) (result i32)))
  (func (export "example:counter/api#[constructor]counter") (param i32) (result i32) local.get 0)
  (func (export "example:counter/api#[dtor]counter") (param i32) (result i32) local.get 0))'
wat rlibmissing '(module (func (export "example:counter/api#[method]counter.add") (param i32 i32)))'
wat rapp '(module (import "example:counter/api" "[method]counter.add" (func (param i32))))'
wat rappok '(module (import "example:counter/api" "[constructor]counter" (func (param i32) (result i32))))'
wat rappnofn '(module (import "example:counter/api" "[method]counter.sub" (func (param i32 i32))))'
wat rappnew '(module (import "example:counter/api" "[resource-new]counter" (func (param i32) (result i32))))'
wat rapprep '(module (import "example:counter/api" "[resource-rep]counter" (func (param i32) (result i32))))'
wat rappstr '(module (import "example:counter/api" "name" (func (param i32))) (memory 1))'
wat rappdrop '(module (import "example:counter/api" "[resource-drop]counter" (func (param i32) (result i32))))'
wat rappexport '(module (import "[export]example:counter/api" "[resource-new]counter" (func (param i32) (result i32))))'
wat rappnores '(module (import "[export]example:counter/api" "[resource-new]gauge" (func (param i32) (result i32))))'
wat rappbadintr '(module (import "[export]example:counter/api" "[resource-peek]counter" (func (param i32) (result i32))))'
wat rappsetname '(module (import "example:counter/api" "set-name" (func (param i32 i32))) (memory 1))'
wat rappsetnamenomem '(module (import "example:counter/api" "set-name" (func (param i32 i32))))'
wat rappwide '(module (import "example:counter/api" "wide" (func (param i32))) (memory 1))'
wat rlibbadrealloc '(module
  (memory 1) (func (export "cabi_realloc") (param i32) (result i32) local.get 0)
  (func (export "example:counter/api#set-name") (param i32 i32)))'
W=(--wit api.wit --world lib=example:counter/lib)

expect_error wit-import-signature "WIT signature mismatch" "instance 'app'" \
  "example:counter/api.[method]counter.add" "(i32) -> ()" "(i32, i32) -> ()" "api.wit:5:" -- \
  app=rapp.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-export-signature "WIT signature mismatch" "instance 'lib'" \
  "example:counter/api#[constructor]counter" "(i32) -> (i64)" "(i32) -> (i32)" -- \
  app=rappok.wasm lib=rlibsig.wasm "${W[@]}" -o "$out"
expect_error wit-no-such-function "instance 'app'" "[method]counter.sub" \
  "interface example:counter/api has no function" -- \
  app=rappnofn.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-export-missing "instance 'lib'" "has no export 'example:counter/api#[constructor]counter'" -- \
  app=rappok.wasm lib=rlibmissing.wasm "${W[@]}" -o "$out"
expect_error wit-string-result-no-realloc "instance 'app' exports no 'cabi_realloc'" \
  "example:counter/api.name returns a string or list" -- \
  app=rappstr.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-string-param-no-realloc "instance 'lib' exports no 'cabi_realloc'" \
  "example:counter/api.set-name takes strings or lists" -- \
  app=rappsetname.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-no-memory "instance 'app' has no memory" "set-name passes data in memory" -- \
  app=rappsetnamenomem.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-realloc-type "'cabi_realloc' as (i32) -> (i32)" "(i32, i32, i32, i32) -> (i32)" -- \
  app=rappsetname.wasm lib=rlibbadrealloc.wasm "${W[@]}" -o "$out"
expect_error wit-params-in-memory-no-realloc "instance 'lib' exports no 'cabi_realloc'" \
  "example:counter/api.wide passes its parameters in memory" -- \
  app=rappwide.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error wit-ambiguous "instances 'lib' and 'lib2' both export" "--wire app.example:counter/api=INSTANCE" -- \
  app=rappok.wasm lib=rlib.wasm lib2=rlib.wasm --wit api.wit -o "$out"
expect_error resource-new-by-user "instance 'app'" "[resource-new]counter" "only the definer" -- \
  app=rappnew.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error resource-rep-by-user "instance 'app'" "[resource-rep]counter" "only the definer" -- \
  app=rapprep.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error resource-new-world-not-definer "instance 'app'" "its world example:counter/app" \
  "does not export example:counter/api" -- \
  app=rappexport.wasm lib=rlib.wasm "${W[@]}" --world app=example:counter/app -o "$out"
expect_error resource-intrinsic-type "intrinsic" "(i32) -> (i32)" "(i32) -> ()" -- \
  app=rappdrop.wasm lib=rlib.wasm "${W[@]}" -o "$out"
expect_error resource-not-in-interface "defines no resource 'gauge'" -- \
  app=rappnores.wasm --wit api.wit -o "$out"
expect_error resource-unknown-intrinsic "[resource-peek]counter" "provides only the resource intrinsics" -- \
  app=rappbadintr.wasm --wit api.wit -o "$out"
expect_error resource-dtor-type "'example:counter/api#[dtor]counter'" "(i32) -> (i32)" "(i32) -> ()" -- \
  lib=rlibdtor.wasm "${W[@]}" -o "$out"
expect_error world-unknown "--world lib=example:counter/nope" "no world" -- \
  lib=rlib.wasm --wit api.wit --world lib=example:counter/nope -o "$out"
expect_error world-without-wit "--world" "use --wit PATH" -- \
  lib=rlib.wasm --world lib=example:counter/lib -o "$out"
expect_error world-unknown-instance "no instance called 'nope'" -- \
  lib=rlib.wasm --wit api.wit --world nope=example:counter/lib -o "$out"
expect_error world-syntax "expected INSTANCE=NAMESPACE:PACKAGE/WORLD" -- \
  lib=rlib.wasm --wit api.wit --world lib -o "$out"
expect_error wit-bad-file "bad.wit:3:" -- lib=rlib.wasm --wit bad.wit -o "$out"
expect_error wit-missing-file "nope.wit" -- lib=rlib.wasm --wit nope.wit -o "$out"

case=wit-dry-run
cases=$((cases + 1))
wat rappdrop2 '(module (import "example:counter/api" "[constructor]counter" (func (param i32) (result i32)))
  (import "example:counter/api" "[resource-drop]counter" (func (param i32))))'
"$membrane" link app=rappdrop2.wasm lib=rlib.wasm "${W[@]}" --dry-run > "$tmp/stdout" 2> "$tmp/stderr" ||
  bad "--dry-run with WIT failed: $(cat "$tmp/stderr")"
for w in "app imports example:counter/api.[constructor]counter (func) <- lib (adapter: handles through the glue)" \
         "app imports example:counter/api.[resource-drop]counter (func) <- membrane:glue (resource intrinsic)" \
         "lib imports [export]example:counter/api.[resource-new]counter (func) <- membrane:glue (resource intrinsic)" \
         "membrane:glue"; do
  grep -qF -- "$w" "$tmp/stdout" || bad "--dry-run lacks '$w': $(cat "$tmp/stdout")"
done

expect_error glue-name-reserved "'membrane:glue' is reserved" -- membrane:glue=rlib.wasm -o "$out"

# ---- the legacy canonical_abi intrinsics ----
wat ldef '(module (import "canonical_abi" "resource_new_counter" (func (param i32) (result i32))))'
wat luserget '(module (import "canonical_abi" "resource_get_counter" (func (param i32) (result i32))))'
wat luserdrop '(module (import "canonical_abi" "resource_drop_counter" (func (param i32))))'
wat luserbad '(module (import "canonical_abi" "resource_peek_counter" (func (param i32))))'
wat ldefsig '(module (import "canonical_abi" "resource_new_counter" (func (param i32))))'
expect_error legacy-get-by-user "instance 'app'" "canonical_abi.resource_get_counter" \
  "only the definer of resource 'counter' (instance 'lib')" -- app=luserget.wasm lib=ldef.wasm -o "$out"
expect_error legacy-two-definers "instances 'lib' and 'lib2' both define resource 'counter'" \
  "--wire app.canonical_abi=INSTANCE" -- app=luserdrop.wasm lib=ldef.wasm lib2=ldef.wasm -o "$out"
# A drop of a resource no instance defines is the drop of a host-defined resource (issue
# 10, item 7): it stays an import (tests/link/resources_host.mjs runs it). Anything else
# on such a resource still needs a definer: the host's handles are only the host's to read.
wat luserclone '(module (import "canonical_abi" "resource_clone_counter" (func (param i32) (result i32))))'
expect_error legacy-get-no-definer "no instance defines resource 'counter'" \
  "the host's resources can only be dropped" -- app=luserget.wasm -o "$out"
expect_error legacy-clone-no-definer "canonical_abi.resource_clone_counter" \
  "no instance defines resource 'counter'" -- app=luserclone.wasm -o "$out"
expect_error resource-rep-host-defined "[resource-rep]counter" "instance 'app' does not define it" -- \
  app=rapprep.wasm -o "$out"
expect_error resource-new-host-defined "[resource-new]counter" "instance 'app' does not define it" -- \
  app=rappnew.wasm -o "$out"
case=legacy-host-drop
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$membrane" link app=luserdrop.wasm -o "$out" 2> "$tmp/stderr" ||
  bad "a drop-only host resource is refused: $(cat "$tmp/stderr")"
"$membrane" link app=luserdrop.wasm --dry-run > "$tmp/stdout" 2>&1 || bad "--dry-run failed"
grep -qF "app imports canonical_abi.resource_drop_counter (func) <- host import (resource 'counter' is host-defined" \
  "$tmp/stdout" || bad "--dry-run does not say host-defined: $(cat "$tmp/stdout")"
expect_error legacy-host-drop-require-resolved "canonical_abi.resource_drop_counter" "--require-resolved" -- \
  app=luserdrop.wasm --require-resolved -o "$out"
expect_error legacy-unknown "canonical_abi.resource_peek_counter" "provides only resource_new_R" -- \
  app=luserbad.wasm -o "$out"
expect_error legacy-signature "canonical_abi.resource_new_counter as (i32) -> ()" "(i32) -> (i32)" -- \
  lib=ldefsig.wasm -o "$out"
expect_error legacy-wire-not-definer "from instance 'other' (--wire), which does not define resource 'counter'" -- \
  app=luserdrop.wasm lib=ldef.wasm other=nomax.wasm --wire app.canonical_abi=other -o "$out"
case=legacy-wire-chooses
cases=$((cases + 1))
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$membrane" link app=luserdrop.wasm lib=ldef.wasm lib2=ldef.wasm --wire app.canonical_abi=lib2 -o "$out" \
  2> "$tmp/stderr" || bad "--wire app.canonical_abi=lib2 failed: $(cat "$tmp/stderr")"
"$wasm_validate" --enable-multi-memory "$out" || bad "output does not validate"

# ---- caller-memory access ----
wat ckern '(module (import "membrane:caller" "read" (func (param i32 i32 i32))) (memory 1) (func (export "f")))'
wat ckernbad '(module (import "membrane:caller" "peek" (func (param i32 i32 i32))))'
wat ckernsig '(module (import "membrane:caller" "size" (func (result i64))))'
wat capp '(module (import "kern" "f" (func)) (memory 1))'
expect_error caller-not-granted "instance 'kern' imports membrane:caller.read" "--grant-caller-memory kern" -- \
  app=capp.wasm kern=ckern.wasm -o "$out"
expect_error caller-unknown-field "membrane:caller.peek" "provides read, write, size and id" -- \
  kern=ckernbad.wasm --grant-caller-memory kern -o "$out"
expect_error caller-signature "membrane:caller.size as () -> (i64)" "() -> (i32)" -- \
  kern=ckernsig.wasm --grant-caller-memory kern -o "$out"
expect_error caller-grant-unknown "--grant-caller-memory nope" "no instance called 'nope'" -- \
  kern=ckern.wasm --grant-caller-memory nope -o "$out"

# ---- GC (binaryen's wasm-as: wabt cannot assemble it) ----
gcwat() {
  printf '%s\n' "$2" > "$1.wat"
  "$node" "$wasm_as" --enable-gc --enable-reference-types "$1.wat" -o "$1.wasm" ||
    { echo "wasm-as $1 failed"; exit 2; }
}
if [ -n "$wasm_as" ]; then
  gcwat gclib '(module
    (type $node (struct (field $v i32)))
    (type $base (sub (func (param i32) (result i32))))
    (type $derived (sub $base (func (param i32) (result i32))))
    (func (export "sum") (param (ref null $node)) (result i32) (i32.const 0))
    (func (export "base") (type $base) (i32.const 1))
    (func (export "derived") (type $derived) (i32.const 2))
    (global (export "g") (ref null $node) (ref.null $node))
  )'
  # a struct of another field type: a different type, though both are "ref null 0"
  gcwat other '(module
    (type $pt (struct (field $x f64)))
    (import "lib" "sum" (func (param (ref null $pt)) (result i32)))
  )'
  expect_error struct-field "type mismatch" "instance 'other' imports lib.sum as func" \
    "instance 'lib' exports 'sum' as func" "((ref null 0)) -> (i32) where 0 = struct (field f64)" \
    "where 0 = struct (field i32)" -- other=other.wasm lib=gclib.wasm -o "$out"

  # an import of the subtype cannot take the supertype (the other way round is fine)
  gcwat narrow '(module
    (type $base (sub (func (param i32) (result i32))))
    (type $derived (sub $base (func (param i32) (result i32))))
    (import "lib" "base" (func (type $derived)))
  )'
  expect_error supertype-for-subtype "type mismatch" "instance 'narrow' imports lib.base" \
    "(sub of 0)" -- narrow=narrow.wasm lib=gclib.wasm -o "$out"

  # an immutable global of a non-nullable reference cannot take a nullable one
  gcwat strict '(module
    (type $node (struct (field $v i32)))
    (import "lib" "g" (global (ref $node)))
  )'
  expect_error global-nullability "type mismatch" "instance 'strict' imports lib.g as global" \
    "global (ref 0) where 0 = struct (field i32)" "(ref null 0)" -- strict=strict.wasm lib=gclib.wasm -o "$out"

  # and what must be accepted: the subtype for the supertype, a nullable import of the
  # global, the same struct defined again
  gcwat wide '(module
    (type $node (struct (field $v i32)))
    (type $base (sub (func (param i32) (result i32))))
    (import "lib" "derived" (func $d (type $base)))
    (import "lib" "g" (global $g (ref null struct)))
    (import "lib" "sum" (func $s (param (ref null $node)) (result i32)))
    (func (export "run") (result i32) (i32.add (call $d (i32.const 0)) (call $s (ref.null $node))))
  )'
  case=accepted
  cases=$((cases + 1))
  "$membrane" link wide=wide.wasm lib=gclib.wasm -o "$tmp/ok.wasm" 2> "$tmp/stderr" ||
    bad "refused: $(cat "$tmp/stderr")"
  [ -f "$tmp/ok.wasm" ] && ! "$node" -e "
    const m = new WebAssembly.Module(require('fs').readFileSync('$tmp/ok.wasm'));
    const r = new WebAssembly.Instance(m).exports.run();
    if (r !== 2) { console.error('run() = ' + r + ', expected 2'); process.exit(1); }" &&
    bad "the fused module does not run as expected"

fi

echo "$cases cases, $failures failures"
[ "$failures" -eq 0 ]
