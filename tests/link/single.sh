#!/usr/bin/env bash
# `membrane link --memory single`: outputs with one memory validate without
# --enable-multi-memory and run on Node 20 (no multi-memory) exactly as the multi-memory
# outputs run on Node 26: examples/compose, examples/counter, and the isolation test
# (tests/link/single: the application placed last cannot reach the library's region, the
# library's fixed region is bounds-checked and cannot grow past its size). Plus the
# errors of the option.
#
# usage: single.sh MEMBRANE WAT2WASM WASM_VALIDATE NODE26 NODE20 SRC_ROOT WASI_RUN
#                  MATHLIB.wasm APP.wasm COUNTER_LIB.wasm COUNTER_APP.wasm
set -euo pipefail
membrane=$1 wat2wasm=$2 validate=$3 node26=$4 node20=$5 src=$6 wasi_run=$7
mathlib=$8 app=$9 clib=${10} capp=${11}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/single.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n26() { "$node26" --disable-warning=ExperimentalWarning "$@"; }
n20() { "$node20" --no-warnings "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# Node 20 really has no multi-memory: a module with two memories does not compile.
n20 -e 'process.exit(WebAssembly.validate(new Uint8Array([0,0x61,0x73,0x6d,1,0,0,0,5,5,2,0,1,0,1])) ? 1 : 0)' ||
  fail "$node20 accepts a module with two memories: not the engine this test needs"

# --- examples/compose: app (WASI command, growable) + mathlib (fixed, checked) ---------
"$membrane" link app="$app" mathlib="$mathlib" -o "$tmp/compose-multi.wasm" 2> /dev/null
"$membrane" link app="$app" mathlib="$mathlib" --memory single --memory-size mathlib=4 \
  -o "$tmp/compose-single.wasm" 2> /dev/null
"$validate" "$tmp/compose-single.wasm" || fail "compose: the single-memory output does not validate"
if "$validate" "$tmp/compose-multi.wasm" 2> /dev/null; then fail "compose: the multi output validates without multi-memory?"; fi
n26 "$wasi_run" "$tmp/compose-multi.wasm" > "$tmp/compose-multi.txt"
n20 "$wasi_run" "$tmp/compose-single.wasm" > "$tmp/compose-single-20.txt"
n26 "$wasi_run" "$tmp/compose-single.wasm" > "$tmp/compose-single-26.txt"
grep -q 'mathlib was called 229 times' "$tmp/compose-multi.txt" || fail "compose: unexpected output"
diff -u "$tmp/compose-multi.txt" "$tmp/compose-single-20.txt"
diff -u "$tmp/compose-multi.txt" "$tmp/compose-single-26.txt"
# the output has one memory, and inspect shows the regions
"$membrane" inspect "$tmp/compose-single.wasm" > "$tmp/inspect.txt"
grep -q 'regions of the single memory' "$tmp/inspect.txt" || { cat "$tmp/inspect.txt"; fail "inspect: no regions"; }
grep -Eq 'mathlib +base page 0 +4 pages +initial [0-9]+ +checked' "$tmp/inspect.txt" || { cat "$tmp/inspect.txt"; fail "inspect: mathlib region"; }
grep -Eq 'app +base page 5 +growable' "$tmp/inspect.txt" || { cat "$tmp/inspect.txt"; fail "inspect: app region"; }
echo "compose: ok"

# --- examples/counter: resources, adapters copying strings between regions -------------
cdir="$src/examples/counter"
link_counter() {
  "$membrane" link app="$capp" lib="$clib" --wit "$cdir/counter.wit" \
    --world lib=example:counter/lib --world app=example:counter/app \
    --export app._start --export app.memory --export lib.destroyed "$@" 2> /dev/null
}
link_counter -o "$tmp/counter-multi.wasm"
link_counter --memory single --memory-size lib=4 -o "$tmp/counter-single.wasm"
"$validate" "$tmp/counter-single.wasm" || fail "counter: the single-memory output does not validate"
for args in "" "exit 7" "use-after-drop"; do
  status26=0 status20=0
  # shellcheck disable=SC2086
  n26 "$cdir/run.mjs" "$tmp/counter-multi.wasm" $args > "$tmp/c26.txt" || status26=$?
  # shellcheck disable=SC2086
  n20 "$cdir/run.mjs" "$tmp/counter-single.wasm" $args > "$tmp/c20.txt" || status20=$?
  diff -u "$tmp/c26.txt" "$tmp/c20.txt" || fail "counter $args: Node 20 single differs from Node 26 multi"
  [ "$status26" = "$status20" ] || fail "counter $args: exit status $status20, multi $status26"
done
diff -u "$cdir/expected.txt" "$tmp/c26.txt" > /dev/null || true
echo "counter: ok"

# --- isolation -------------------------------------------------------------------------
idir="$src/tests/link/single"
"$wat2wasm" "$idir/lib.wat" -o "$tmp/lib.wasm"
"$wat2wasm" "$idir/app.wat" -o "$tmp/app.wasm"
"$wat2wasm" --enable-threads "$idir/ops.wat" -o "$tmp/ops.wasm"
exports=(--export app.scribble --export app.others --export app.store
         --export app.load --export app.grow --export app.size --export app.lib_check
         --export app.memory --export lib.store=lib_store --export lib.load=lib_load
         --export lib.store64=lib_store64 --export lib.grow=lib_grow --export lib.size=lib_size
         --export lib.fill=lib_fill)
# ops before lib: lib's region is right below the app's, which --trust lets it reach
for f in v128_store v128_load lane_store lane_load cas add64 f64_store f64_load grow; do
  exports+=(--export "ops.$f=ops_$f")
done
"$membrane" link app="$tmp/app.wasm" ops="$tmp/ops.wasm" lib="$tmp/lib.wasm" "${exports[@]}" -o "$tmp/iso-multi.wasm"
"$membrane" link app="$tmp/app.wasm" ops="$tmp/ops.wasm" lib="$tmp/lib.wasm" "${exports[@]}" --memory single \
  -o "$tmp/iso-single.wasm"
"$membrane" link app="$tmp/app.wasm" ops="$tmp/ops.wasm" lib="$tmp/lib.wasm" "${exports[@]}" --memory single \
  --trust lib -o "$tmp/iso-trusted.wasm"
for f in iso-single iso-trusted; do "$validate" --enable-threads "$tmp/$f.wasm" || fail "$f does not validate"; done
n26 "$idir/run.mjs" "$tmp/iso-multi.wasm" multi > "$tmp/iso-multi.txt" ||
  { cat "$tmp/iso-multi.txt"; fail "isolation: multi on Node 26"; }
n20 "$idir/run.mjs" "$tmp/iso-single.wasm" single > "$tmp/iso-single.txt" ||
  { cat "$tmp/iso-single.txt"; fail "isolation: single on Node 20"; }
n20 "$idir/run.mjs" "$tmp/iso-trusted.wasm" trusted > "$tmp/iso-trusted.txt" ||
  { cat "$tmp/iso-trusted.txt"; fail "isolation: single --trust lib on Node 20"; }
# the same with the library's size given instead of declared
sed 's/(memory (export "memory") 1 2)/(memory (export "memory") 1)/' "$idir/lib.wat" > "$tmp/lib-nomax.wat"
"$wat2wasm" "$tmp/lib-nomax.wat" -o "$tmp/lib-nomax.wasm"
"$membrane" link app="$tmp/app.wasm" ops="$tmp/ops.wasm" lib="$tmp/lib-nomax.wasm" "${exports[@]}" --memory single \
  --memory-size lib=2 -o "$tmp/iso-size.wasm"
n20 "$idir/run.mjs" "$tmp/iso-size.wasm" single > "$tmp/iso-size.txt" ||
  { cat "$tmp/iso-size.txt"; fail "isolation: --memory-size lib=2 on Node 20"; }
echo "isolation: ok"

# --- errors ----------------------------------------------------------------------------
expect_error() { # MESSAGE-SUBSTRING ARGS...
  local want=$1 status=0
  shift
  "$membrane" link "$@" -o "$tmp/err.wasm" 2> "$tmp/err.txt" || status=$?
  [ "$status" = 1 ] || fail "expected exit status 1 for: $*"
  grep -qF -- "$want" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "expected '$want' for: $*"; }
  [ ! -e "$tmp/err.wasm" ] || fail "an output was written for: $*"
}
expect_error "instances 'app' and 'mathlib' must both grow their memory" \
  app="$app" mathlib="$mathlib" --memory single
expect_error "--memory-size mathlib=PAGES" app="$app" mathlib="$mathlib" --memory single
expect_error "--memory-size/--trust nosuch: no instance called 'nosuch'" \
  app="$app" mathlib="$mathlib" --memory single --memory-size nosuch=3
expect_error "--memory 'double': expected multi or single" app="$app" --memory double
expect_error "apply to --memory single only" app="$app" mathlib="$mathlib" --memory-size mathlib=3
expect_error "expected INSTANCE=PAGES" app="$tmp/app.wasm" lib="$tmp/lib.wasm" --memory single --memory-size lib=0
printf '(module (memory 3))' > "$tmp/three.wat"
"$wat2wasm" "$tmp/three.wat" -o "$tmp/three.wasm"
expect_error "--memory-size three=2: the memory of 'three' starts with 3 pages" \
  app="$tmp/app.wasm" lib="$tmp/lib.wasm" three="$tmp/three.wasm" --memory single --memory-size three=2
# an offset that, with the region's base, no longer fits in 32 bits
printf '(module (memory 1) (func (export "f") (param i32) (result i32) (i32.load offset=0xFFFFFFF0 (local.get 0))))' > "$tmp/bigoff.wat"
"$wat2wasm" "$tmp/bigoff.wat" -o "$tmp/bigoff.wasm"
expect_error "has offset 4294967280, which with its region's base 131072 does not fit in 32 bits" \
  big="$tmp/bigoff.wasm" lib="$tmp/lib.wasm" --memory single
# what one memory cannot hold
printf '(module (memory i64 1))' > "$tmp/m64.wat"
"$wat2wasm" --enable-memory64 "$tmp/m64.wat" -o "$tmp/m64.wasm"
expect_error "instance 'm64' has a 64-bit memory" app="$tmp/app.wasm" lib="$tmp/lib.wasm" m64="$tmp/m64.wasm" --memory single
printf '(module (memory 1 1 shared))' > "$tmp/shared.wat"
"$wat2wasm" --enable-threads "$tmp/shared.wat" -o "$tmp/shared.wasm"
expect_error "instance 'shared' has a shared memory" app="$tmp/app.wasm" lib="$tmp/lib.wasm" shared="$tmp/shared.wasm" --memory single
printf '(module (import "env" "mem" (memory 1)))' > "$tmp/imem.wat"
"$wat2wasm" "$tmp/imem.wat" -o "$tmp/imem.wasm"
expect_error "the output imports a memory from the host" app="$tmp/app.wasm" imem="$tmp/imem.wasm" --memory single
# a data segment past the initial pages of a fixed region would land in the next one
printf '(module (memory 1 4) (data (i32.const 65530) "0123456789"))' > "$tmp/bigdata.wat"
"$wat2wasm" "$tmp/bigdata.wat" -o "$tmp/bigdata.wasm"
expect_error "a data segment of 'bigdata' ends at byte 65540, past its initial memory (1 pages)" \
  bigdata="$tmp/bigdata.wasm" app="$tmp/app.wasm" --memory single
# a fixed, checked instance calling the host's WASI itself: the host would not keep it in
expect_error "instance 'app' calls the host's WASI directly but has a fixed, checked region" \
  app="$app" mathlib="$mathlib" --memory single --memory-size app=8
# membrane virt's options
expect_virt_error() { # MESSAGE-SUBSTRING ARGS...
  local want=$1 status=0
  shift
  "$membrane" virt "$app" "$@" -o "$tmp/err.wasm" 2> "$tmp/err.txt" || status=$?
  [ "$status" = 1 ] || fail "expected exit status 1 for: virt $*"
  grep -qF -- "$want" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "expected '$want' for: virt $*"; }
  [ ! -e "$tmp/err.wasm" ] || fail "an output was written for: virt $*"
}
expect_virt_error "--memory 'double': expected multi or single" --memory double
expect_virt_error "--memory-size nosuch=3: no instance called 'nosuch'" --memory single --memory-size nosuch=3
expect_virt_error "apply to --memory single only" --trust app
expect_virt_error "--memory-size wasi_virt=2: the memory of 'wasi_virt' starts with" --memory single --memory-size wasi_virt=2
echo "errors: ok"
