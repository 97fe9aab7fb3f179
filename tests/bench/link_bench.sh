#!/usr/bin/env bash
# bench-link: `membrane link` fusing a large real module with a small one that provides
# some of its imports, next to binaryen's `wasm-merge` (npm binaryen@132, a JS/wasm build
# run on Node 26) in the same run, with the ratios.
#
# usage: tests/bench/link_bench.sh [MEMBRANE]
#   MEMBRANE   the membrane binary (default: build/tools/membrane)
# environment:
#   BENCH_RUNS=N          timed runs per tool and module, median taken (default 5)
#   WASM_MERGE=PATH       the wasm-merge script to compare with (default: npm binaryen's
#                         bin/wasm-merge in .deps/binaryen, installed when missing)
#   BENCH_RUN_CHECK=0     skip running the modules on Node (the run check below)
#   BENCH_GOALS=report    print missed goals but exit 0 (default: exit 1 on a missed goal)
#
# Inputs:
#   ruby      CRuby 3.3 compiled to wasm32-wasi (a reactor), from the npm package
#             @ruby/3.3-wasm-wasi (pinned below, checked by sha256), installed into
#             .deps/bench by scripts/setup --with-bench or by this script when missing:
#               ruby.debug+stdlib.wasm  54 MB: 11 MB code, 25 MB data (stdlib), 17 MB DWARF
#               ruby.wasm               16 MB: the same code, no stdlib, no debug info
#   canonical_abi  a 235-byte module built here from the WAT below (wat2wasm). It provides
#             ruby's 3 imports from module canonical_abi (the rb-abi-value handle slab
#             @ruby/wasm-wasi keeps in JS, here in the small module's own memory); ruby's
#             other 56 imports (WASI, rb-js-abi-host) stay imports of the output. (Not a
#             few WASI functions: membrane wires module M to the instance called M, which
#             must then export every field imported from M.)
# Commands timed (the same inputs and instance names for both):
#   membrane link ruby=RUBY canonical_abi=SMALL -o OUT
#   node wasm-merge RUBY ruby SMALL canonical_abi -o OUT FEATURES
# where FEATURES are the ones in ruby's target_features section plus multi-memory. Not
# -all: binaryen 132's -all turns on compact imports, an import-section encoding that
# wabt 1.0.32 and membrane cannot read. wasm-merge's peak RSS is Node's (V8 plus binaryen's wasm heap).
# Goals (from the issue): membrane link >= 50x faster than wasm-merge (median wall time),
# and its peak RSS <= 2x the total input size. Both outputs must pass
# `wasm-validate --enable-multi-memory`, have two memories and no canonical_abi import
# left; unless BENCH_RUN_CHECK=0, the input and both outputs are run on Node 26
# (node:wasi): ruby-init, then a few rb-eval-string-protect calls whose results are read
# back with rstring-ptr (which goes through resource_get_rb-abi-value); all three must
# print RUN_EXPECT.
#
# Reproduce: meson test -C build --suite bench --verbose
#        or: tests/bench/link_bench.sh build/tools/membrane
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
membrane=${1:-$root/build/tools/membrane}
runs=${BENCH_RUNS:-5}
goals_mode=${BENCH_GOALS:-enforce}
run_check=${BENCH_RUN_CHECK:-1}

RUBY_PKG=@ruby/3.3-wasm-wasi
RUBY_VERSION=2.10.1
BINARYEN_VERSION=132
bench_deps=$root/.deps/bench
dist=$bench_deps/node_modules/$RUBY_PKG/dist
MODULES=(ruby.debug+stdlib.wasm ruby.wasm)
declare -A SHA256=(
  [ruby.debug+stdlib.wasm]=561ba7f97501f966a8f8277a59f3e1690ee933fe1a43208193f8e7182249566f
  [ruby.wasm]=6ed4db69b832690b1b84605a53e607044243c555b85a913f647fd362675b70b0
)
# ruby's target_features (mutable-globals, nontrapping-fptoint, bulk-memory, sign-ext,
# reference-types, multivalue) and multi-memory for the fused module.
MERGE_FEATURES=(--enable-mutable-globals --enable-nontrapping-float-to-int
  --enable-bulk-memory --enable-sign-ext --enable-reference-types --enable-multivalue
  --enable-multimemory)
SPEED_GOAL=50
RSS_GOAL=2

say() { printf 'bench-link: %s\n' "$*"; }
die() { printf 'bench-link: error: %s\n' "$*" >&2; exit 1; }

# --- tools ------------------------------------------------------------------------------
[ -x "$membrane" ] || die "no membrane binary at $membrane (build first, or pass its path)"
"$membrane" link --help >/dev/null 2>&1 || die "$membrane has no 'link' command"
for tool in wat2wasm wasm-validate wasm-objdump; do
  command -v "$tool" >/dev/null || die "no $tool (Debian package wabt; scripts/setup)"
done
node26=$root/.deps/node/bin/node
[ -x "$node26" ] || die "no Node 26 at $node26 (scripts/setup)"
if [ ! -x /usr/bin/time ]; then
  # GNU time gives the peak RSS (%M); bash's time keyword does not.
  [ "$(id -u)" -eq 0 ] || die "/usr/bin/time missing: apt-get install time"
  say "installing Debian package time (for /usr/bin/time)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null
fi

# npm_install PREFIX SPEC (as scripts/setup does)
npm_install() {
  command -v npm >/dev/null || die "$2 missing and no npm to install it (scripts/setup --with-bench)"
  say "installing $2 from npm into ${1#"$root"/}"
  mkdir -p "$1"
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "$2" >/dev/null
}

# The peer: npm's binaryen (its bin/ scripts are JS/wasm builds, run here with Node 26).
binaryen_pkg=$root/.deps/binaryen/node_modules/binaryen
if [ -n "${WASM_MERGE:-}" ]; then
  wasm_merge=$WASM_MERGE
else
  wasm_merge=$binaryen_pkg/bin/wasm-merge
  if ! grep -q "\"version\": \"$BINARYEN_VERSION\." "$binaryen_pkg/package.json" 2>/dev/null; then
    npm_install "$root/.deps/binaryen" "binaryen@$BINARYEN_VERSION"
  fi
fi
[ -f "$wasm_merge" ] || die "no wasm-merge at $wasm_merge"
merge_version=$("$node26" "$wasm_merge" --version 2>&1 | head -1) ||
  die "$wasm_merge does not run on $node26: $merge_version"

# --- modules ----------------------------------------------------------------------------
pkg_json=$bench_deps/node_modules/$RUBY_PKG/package.json
if ! { [ -f "$pkg_json" ] && grep -q "\"version\": \"$RUBY_VERSION\"" "$pkg_json"; }; then
  npm_install "$bench_deps" "$RUBY_PKG@$RUBY_VERSION"
fi
for mod in "${MODULES[@]}"; do
  [ -f "$dist/$mod" ] || die "$RUBY_PKG@$RUBY_VERSION has no dist/$mod"
  got=$(sha256sum "$dist/$mod" | cut -d' ' -f1)
  [ "$got" = "${SHA256[$mod]}" ] || die "dist/$mod: sha256 $got, expected ${SHA256[$mod]}"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-link.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The small module: ruby's canonical_abi imports, exactly as ruby imports them
# (resource_new_rb-abi-value (i32) -> i32, resource_get_rb-abi-value (i32) -> i32,
# resource_drop_js-abi-value (i32) -> ()).
cat >"$work/canonical_abi.wat" <<'EOF'
(module
  ;; The slab of rb-abi-value handles (@ruby/wasm-wasi keeps it in JS), in this module's
  ;; own memory: handle h holds its value at 4*h; handle 0 is never given out. Freed
  ;; slots would be chained through $free; rb-abi-value handles are dropped by the host
  ;; (canonical_abi_drop_rb-abi-value is an export of ruby), so nothing frees them here.
  (memory $slab 1)
  (global $next (mut i32) (i32.const 1))
  (global $free (mut i32) (i32.const 0))
  (func (export "resource_new_rb-abi-value") (param $val i32) (result i32)
    (local $h i32)
    (if (global.get $free)
      (then
        (local.set $h (global.get $free))
        (global.set $free (i32.load (i32.shl (local.get $h) (i32.const 2)))))
      (else
        (local.set $h (global.get $next))
        (global.set $next (i32.add (local.get $h) (i32.const 1)))
        (if (i32.ge_u (i32.shl (local.get $h) (i32.const 2))
                      (i32.shl (memory.size) (i32.const 16)))
          (then (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))))))
    (i32.store (i32.shl (local.get $h) (i32.const 2)) (local.get $val))
    (local.get $h))
  (func (export "resource_get_rb-abi-value") (param $h i32) (result i32)
    (if (i32.or (i32.eqz (local.get $h)) (i32.ge_u (local.get $h) (global.get $next)))
      (then unreachable))
    (i32.load (i32.shl (local.get $h) (i32.const 2))))
  ;; js-abi-value handles index the host's JS slab, which this module cannot reach: a
  ;; no-op (the code run below creates none).
  (func (export "resource_drop_js-abi-value") (param i32)))
EOF
small=$work/canonical_abi.wasm
wat2wasm "$work/canonical_abi.wat" -o "$small" || die "wat2wasm failed on the small module"
small_bytes=$(stat -c %s "$small")

# The run check: instantiates a CRuby reactor on node:wasi and evaluates Ruby code.
cat >"$work/ruby_eval.mjs" <<'EOF'
// usage: node ruby_eval.mjs MODULE.wasm CODE...
// WASI from node:wasi; canonical_abi, when the module still imports it, from a JS slab
// as @ruby/wasm-wasi does; every rb-js-abi-host function throws (the code never calls
// into JS). Runs _initialize and ruby-init, then for each CODE rb-eval-string-protect
// of (CODE).to_s and prints "=> " and the string (read back with rstring-ptr); at the
// end flushes Ruby's $stdout.
import { WASI } from 'node:wasi';
import { readFileSync, writeSync } from 'node:fs';

const [path, ...codes] = process.argv.slice(2);
const module = await WebAssembly.compile(readFileSync(path));
const wasi = new WASI({ version: 'preview1', args: ['ruby'], env: {}, returnOnExit: true });
const slab = [undefined];
const provided = {
  wasi_snapshot_preview1: wasi.wasiImport,
  canonical_abi: {
    'resource_new_rb-abi-value': (v) => slab.push(v) - 1,
    'resource_get_rb-abi-value': (h) => slab[h],
    'resource_drop_js-abi-value': () => {},
  },
};
const imports = {};
for (const im of WebAssembly.Module.imports(module)) {
  const f = provided[im.module]?.[im.name] ??
    (() => { throw new Error(`host import ${im.module}.${im.name} called`); });
  (imports[im.module] ??= {})[im.name] = f;
}
const instance = await WebAssembly.instantiate(module, imports);
const ex = instance.exports;
// Exports are named after their WIT signature: 'ruby-init: func(...) -> ()'.
const fn = (name) => {
  const key = Object.keys(ex).find((k) => k === name || k.startsWith(name + ':'));
  if (!key) throw new Error(`${path}: no export ${name}`);
  return ex[key];
};
wasi.initialize(instance);
const put = (s) => { // a string copied into guest memory: [ptr, len]
  const b = new TextEncoder().encode(s);
  const p = ex.cabi_realloc(0, 0, 1, b.length);
  new Uint8Array(ex.memory.buffer, p, b.length).set(b);
  return [p, b.length];
};
const args = ['ruby.wasm', '-EUTF-8', '--disable-gems', '-e_=0'];
const list = ex.cabi_realloc(0, 0, 4, 8 * args.length);
args.forEach((a, i) => new Uint32Array(ex.memory.buffer, list + 8 * i, 2).set(put(a + '\0')));
fn('ruby-init')(list, args.length);
const evaluate = (code) => {
  const r = fn('rb-eval-string-protect')(...put(code));
  const [handle, state] = new Int32Array(ex.memory.buffer, r, 2);
  if (state !== 0) throw new Error(`${path}: ${JSON.stringify(code)} raised (state ${state})`);
  return handle;
};
for (const code of codes) {
  const r = fn('rstring-ptr')(evaluate(`(${code}).to_s`));
  const [p, n] = new Uint32Array(ex.memory.buffer, r, 2);
  writeSync(1, `=> ${new TextDecoder().decode(new Uint8Array(ex.memory.buffer, p, n))}\n`);
  ex['cabi_post_rstring-ptr'](r);
}
evaluate('$stdout.flush');
EOF
RUN_CODE=('1 + 1' 'RUBY_VERSION' '[3, 1, 2].sort.map { |x| x * x }.inspect'
  '(1..40).map { |i| "o#{i}" }.last' 'puts "stdout: #{RUBY_PLATFORM}"')
RUN_EXPECT=$'=> 2\n=> 3.3.3\n=> [1, 4, 9]\n=> o40\n=> \nstdout: wasm32-wasi'

# --- measuring --------------------------------------------------------------------------
# measure CMD...: one run; sets wall_ms (3 decimals) and rss_kb (GNU time's %M, the peak
# resident set of the command). The wall clock includes GNU time's own fork+exec (~1 ms),
# the same for every tool.
measure() {
  local t0 t1
  t0=$(date +%s%N)
  # without meson's MALLOC_PERTURB_: glibc then fills every allocation, which makes
  # pages resident that a user's run never touches (ruby.wasm: 37 MB instead of 31 MB)
  if ! env -u MALLOC_PERTURB_ /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out.log" 2>&1; then
    cat "$work/out.log" >&2
    die "failed: $*"
  fi
  t1=$(date +%s%N)
  wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
  rss_kb=$(tail -n 1 "$work/rss")
}

# bench N OUT CMD...: one untimed warm-up run (page cache), then N runs; sets med_ms
# (median wall time) and max_rss_kb (the largest peak RSS over the runs). OUT, the
# command's output, is removed before each run: replacing a 35 MB file costs ext4 ~20 ms
# of freeing the old one's blocks, which is not the tool's work.
bench() {
  local n=$1 out=$2 i
  shift 2
  rm -f "$out"
  measure "$@"
  local times=()
  max_rss_kb=0
  for ((i = 0; i < n; i++)); do
    rm -f "$out"
    measure "$@"
    times+=("$wall_ms")
    if [ "$rss_kb" -gt "$max_rss_kb" ]; then max_rss_kb=$rss_kb; fi
  done
  med_ms=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# Independent of membrane: wabt's view of the output.
imports_from() { wasm-objdump -x -j Import "$1" | grep -c "<- $2\." || true; }
import_count() { wasm-objdump -x -j Import "$1" | sed -n 's/^Import\[\([0-9]*\)\]:$/\1/p'; }
memory_count() { wasm-objdump -x -j Memory "$1" | sed -n 's/^Memory\[\([0-9]*\)\]:$/\1/p'; }

# check_output MOD TOOL FILE: the fused module's structure; failures are collected.
check_output() {
  local mod=$1 tool=$2 out=$3 n
  if ! wasm-validate --enable-multi-memory "$out" >"$work/validate.log" 2>&1; then
    cat "$work/validate.log" >&2
    failures+=("$mod: $tool's output fails wasm-validate --enable-multi-memory")
    return
  fi
  n=$(imports_from "$out" canonical_abi)
  [ "$n" = 0 ] || failures+=("$mod: $tool's output still imports $n canonical_abi functions")
  n=$(import_count "$out")
  [ "$n" = "$((in_imports - 3))" ] ||
    failures+=("$mod: $tool's output has $n imports, expected $((in_imports - 3)) (the input's minus 3)")
  n=$(memory_count "$out")
  [ "$n" = 2 ] || failures+=("$mod: $tool's output has ${n:-no} memories, expected 2")
}

# run_ruby MOD TOOL FILE: the run check; the output must be RUN_EXPECT.
run_ruby() {
  local mod=$1 tool=$2 file=$3 got
  if ! got=$("$node26" --disable-warning=ExperimentalWarning "$work/ruby_eval.mjs" "$file" \
      "${RUN_CODE[@]}" 2>"$work/run.err"); then
    cat "$work/run.err" >&2
    failures+=("$mod: $tool: the run on Node failed")
    run_result+=("$tool FAILED")
    return
  fi
  if [ "$got" != "$RUN_EXPECT" ]; then
    printf 'expected:\n%s\ngot:\n%s\n' "$RUN_EXPECT" "$got" >&2
    failures+=("$mod: $tool: the run on Node printed something else")
    run_result+=("$tool DIFFERS")
    return
  fi
  run_result+=("$tool ok")
}

say "membrane: $membrane ($("$membrane" --version 2>/dev/null | head -1))"
say "peer: npm binaryen $merge_version on Node $("$node26" --version) ($wasm_merge), ${MERGE_FEATURES[*]}"
say "inputs: $RUBY_PKG@$RUBY_VERSION (CRuby 3.3, wasm32-wasi) as 'ruby' + a $small_bytes-byte module as 'canonical_abi'; $runs runs each, median wall time"
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
if awk '{ exit !($1 >= 0.5) }' /proc/loadavg; then
  say "warning: the machine is busy (1-minute load $(cut -d' ' -f1 /proc/loadavg)): the ratios are unreliable"
fi

failures=()
goal_misses=()
rows=()
for mod in "${MODULES[@]}"; do
  in=$dist/$mod
  in_bytes=$(stat -c %s "$in")
  total_bytes=$((in_bytes + small_bytes))
  in_imports=$(import_count "$in")
  out_m=$work/membrane.wasm
  out_w=$work/wasm-merge.wasm
  say "$mod ($(mib "$in_bytes"), $in_imports imports, 3 of them from canonical_abi)"

  bench "$runs" "$out_m" "$membrane" link "ruby=$in" "canonical_abi=$small" -o "$out_m"
  m_ms=$med_ms
  m_rss=$max_rss_kb
  bench "$runs" "$out_w" "$node26" "$wasm_merge" "$in" ruby "$small" canonical_abi -o "$out_w" \
    "${MERGE_FEATURES[@]}"
  w_ms=$med_ms
  w_rss=$max_rss_kb

  check_output "$mod" membrane "$out_m"
  check_output "$mod" wasm-merge "$out_w"
  run_result=()
  if [ "$run_check" != 0 ]; then
    run_ruby "$mod" input "$in"
    run_ruby "$mod" membrane "$out_m"
    run_ruby "$mod" wasm-merge "$out_w"
  fi

  speed=$(ratio "$w_ms" "$m_ms")
  rss_ratio=$(awk -v r="$m_rss" -v s="$total_bytes" 'BEGIN { printf "%.2f", r * 1024 / s }')
  speed_ok=yes
  rss_ok=yes
  ge "$speed" "$SPEED_GOAL" || { speed_ok=NO; goal_misses+=("$mod: ${speed}x faster, goal ${SPEED_GOAL}x"); }
  ge "$RSS_GOAL" "$rss_ratio" || { rss_ok=NO; goal_misses+=("$mod: peak RSS ${rss_ratio}x the input, goal <= ${RSS_GOAL}x"); }

  printf '\n  %-40s %12s %14s %10s\n' "$mod + canonical_abi" "wall (median)" "peak RSS" "output"
  printf '  %-40s %10.1f ms %14s %10s\n' "membrane link" "$m_ms" "$(mib $((m_rss * 1024)))" "$(mib "$(stat -c %s "$out_m")")"
  printf '  %-40s %10.1f ms %14s %10s\n' "wasm-merge (npm $BINARYEN_VERSION, node)" \
    "$w_ms" "$(mib $((w_rss * 1024)))" "$(mib "$(stat -c %s "$out_w")")"
  printf '  input %s; speed: %sx faster than wasm-merge (goal >= %sx: %s)\n' \
    "$(mib "$total_bytes")" "$speed" "$SPEED_GOAL" "$speed_ok"
  printf '  peak RSS / input: %s (goal <= %s: %s); wasm-merge (Node) uses %sx membrane'"'"'s RSS\n' \
    "$rss_ratio" "$RSS_GOAL" "$rss_ok" "$(ratio "$w_rss" "$m_rss")"
  if [ "$run_check" != 0 ]; then
    joined=$(printf '%s, ' "${run_result[@]}")
    printf '  run on Node %s: %s\n' "$("$node26" --version)" "${joined%, }"
  fi
  printf '\n'

  rows+=("$(printf '%-24s %9s %9.1f %10.1f %7sx %10s %6sx %10s  %s' "$mod" \
    "$(mib "$total_bytes" | cut -d' ' -f1)" "$m_ms" "$w_ms" "$speed" \
    "$(mib $((m_rss * 1024)) | cut -d' ' -f1)" "$rss_ratio" "$(mib $((w_rss * 1024)) | cut -d' ' -f1)" \
    "$([ "$speed_ok$rss_ok" = yesyes ] && echo met || echo MISSED)")")
done

printf '%-24s %9s %9s %10s %8s %10s %7s %10s  %s\n' module 'in MiB' 'mb ms' 'merge ms' speed \
  'mb RSS MiB' 'RSS/in' 'merge RSS' goals
printf '%s\n' "${rows[@]}"

for f in "${failures[@]}"; do say "FAIL: $f"; done
for g in "${goal_misses[@]}"; do say "goal missed: $g"; done
if [ "${#failures[@]}" -gt 0 ]; then
  exit 1
fi
if [ "${#goal_misses[@]}" -gt 0 ]; then
  if [ "$goals_mode" = report ]; then
    say "BENCH_GOALS=report: not failing on missed goals"
    exit 0
  fi
  exit 1
fi
say "all goals met"
