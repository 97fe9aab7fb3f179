#!/usr/bin/env bash
# bench-gc: `membrane strip` and `membrane link` on a GC module of more than 1 MB, next to
# binaryen's `wasm-opt` (parse + write) and `wasm-merge` (npm binaryen@132, a JS/wasm build
# run on Node 26) in the same run, with the ratios.
#
# usage: tests/bench/gc_bench.sh [MEMBRANE]
#   MEMBRANE   the membrane binary (default: build/tools/membrane)
# environment:
#   BENCH_RUNS=N          timed runs per tool, median taken (default 5)
#   BENCH_GOALS=report    print missed goals but exit 0 (default: exit 1 on a missed goal)
#
# Inputs, generated here (no real GC module of that size is at hand; gen_gc.py says what
# the code does): lib.wasm, 1000 rec groups of a struct and its subtype, an array type,
# 12,000 functions using struct/array/i31/cast/call_ref instructions (about 1.2 MB), and
# app.wasm, a small module defining 4 of lib's rec groups again, identically, and
# importing lib's functions typed with them. Both assembled by binaryen's wasm-as with
# --enable-gc --enable-reference-types (not -all: binaryen 132 then emits encodings of
# later proposals that Node 26 rejects).
# Commands timed:
#   membrane strip lib.wasm -o OUT                 vs  node wasm-opt lib.wasm -o OUT FEATURES
#   membrane link app=app.wasm lib=lib.wasm -o OUT --export app.run --export lib.checksum
#                                                  vs  node wasm-merge lib.wasm lib app.wasm app -o OUT FEATURES
# Checks: every output runs on Node 26 and gives the values of the unfused pair (lib's
# checksum, app's run through lib's exports), which holds only if the rec groups app and
# lib share became one type (app's structs reach lib's casts).
# Goal (issue 13): membrane >= 20x faster than the binaryen tool, for strip and for link.
#
# Reproduce: meson test -C build --suite bench --verbose bench-gc
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
membrane=${1:-$root/build/tools/membrane}
runs=${BENCH_RUNS:-5}
goals_mode=${BENCH_GOALS:-enforce}
FEATURES=(--enable-gc --enable-reference-types)
SPEED_GOAL=20

say() { printf 'bench-gc: %s\n' "$*"; }
die() { printf 'bench-gc: error: %s\n' "$*" >&2; exit 1; }

bin=$root/.deps/binaryen/node_modules/binaryen/bin
node26=$root/.deps/node/bin/node
[ -x "$membrane" ] || die "no membrane binary at $membrane (build first, or pass its path)"
[ -x "$node26" ] || die "no Node 26 at $node26 (scripts/setup)"
[ -f "$bin/wasm-merge" ] || die "no npm binaryen in .deps/binaryen (scripts/setup)"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-gc.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_gc.py" lib 1000 12000 >"$work/lib.wat"
python3 "$here/gen_gc.py" app 1000 >"$work/app.wat"
for m in lib app; do
  "$node26" "$bin/wasm-as" "${FEATURES[@]}" "$work/$m.wat" -o "$work/$m.wasm" ||
    die "wasm-as failed on the generated $m.wat"
done
in_bytes=$(stat -c %s "$work/lib.wasm")

# measure CMD...: one run; sets wall_ms. bench N CMD...: a warm-up, then N runs; med_ms.
measure() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; die "failed: $*"; }
  t1=$(date +%s%N)
  wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
}
bench() {
  local n=$1 i times=()
  shift
  measure "$@"
  for ((i = 0; i < n; i++)); do
    measure "$@"
    times+=("$wall_ms")
  done
  med_ms=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# values FUSED|LIB APP: "checksum run" of a fused module, or of lib and app instantiated
# apart (app's imports from lib's exports).
cat >"$work/values.mjs" <<'JS'
import fs from 'node:fs';
const [a, b] = process.argv.slice(2);
const inst = async (f, imp) => (await WebAssembly.instantiate(fs.readFileSync(f), imp)).instance.exports;
if (b) {
  const lib = await inst(a, {});
  const app = await inst(b, { lib });
  console.log(lib.checksum(), app.run());
} else {
  const x = await inst(a, {});
  console.log(x.checksum(), x.run());
}
JS
values() { "$node26" "$work/values.mjs" "$@"; }

say "membrane: $membrane"
say "peer: npm binaryen@132 on Node $("$node26" --version); $runs runs each, median wall time"
say "input: lib.wasm $in_bytes bytes, app.wasm $(stat -c %s "$work/app.wasm") bytes"
say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
want=$(values "$work/lib.wasm" "$work/app.wasm")
say "unfused values (checksum run): $want"

failures=()
misses=()

bench "$runs" "$membrane" strip "$work/lib.wasm" -o "$work/strip-m.wasm"
ms_m=$med_ms
bench "$runs" "$node26" "$bin/wasm-opt" "${FEATURES[@]}" "$work/lib.wasm" -o "$work/strip-w.wasm"
ms_w=$med_ms
got=$(values "$work/strip-m.wasm" "$work/app.wasm" 2>&1) || true
[ "$got" = "$want" ] || failures+=("strip: the stripped lib gives '$got', want '$want'")
s_strip=$(ratio "$ms_w" "$ms_m")
ge "$s_strip" "$SPEED_GOAL" || misses+=("strip: ${s_strip}x faster than wasm-opt, goal ${SPEED_GOAL}x")

link_ok=1
link_cmd=("$membrane" link "app=$work/app.wasm" "lib=$work/lib.wasm" -o "$work/link-m.wasm"
  --export app.run --export lib.checksum)
if "${link_cmd[@]}" >"$work/link.log" 2>&1; then
  bench "$runs" "${link_cmd[@]}"
  ms_lm=$med_ms
  got=$(values "$work/link-m.wasm" 2>&1) || true
  [ "$got" = "$want" ] || failures+=("link: the fused module gives '$got', want '$want'")
else
  link_ok=0
  failures+=("link: membrane link failed: $(head -c 300 "$work/link.log")")
fi
bench "$runs" "$node26" "$bin/wasm-merge" "$work/lib.wasm" lib "$work/app.wasm" app \
  -o "$work/link-w.wasm" "${FEATURES[@]}"
ms_lw=$med_ms
got=$(values "$work/link-w.wasm" 2>&1) || true
[ "$got" = "$want" ] || failures+=("link: wasm-merge's output gives '$got', want '$want'")

printf '\n  %-40s %12s\n' "" "wall (median)"
printf '  %-40s %9.1f ms\n' "membrane strip" "$ms_m" "wasm-opt (npm 132, node)" "$ms_w"
printf '  strip: %sx faster (goal >= %sx)\n' "$s_strip" "$SPEED_GOAL"
if [ "$link_ok" = 1 ]; then
  s_link=$(ratio "$ms_lw" "$ms_lm")
  ge "$s_link" "$SPEED_GOAL" || misses+=("link: ${s_link}x faster than wasm-merge, goal ${SPEED_GOAL}x")
  printf '  %-40s %9.1f ms\n' "membrane link" "$ms_lm" "wasm-merge (npm 132, node)" "$ms_lw"
  printf '  link: %sx faster (goal >= %sx)\n\n' "$s_link" "$SPEED_GOAL"
else
  printf '  %-40s %9.1f ms\n  link: membrane failed\n\n' "wasm-merge (npm 132, node)" "$ms_lw"
fi

for f in "${failures[@]}"; do say "FAILED: $f"; done
for m in "${misses[@]}"; do say "goal missed: $m"; done
[ "${#failures[@]}" = 0 ] || exit 1
if [ "${#misses[@]}" != 0 ] && [ "$goals_mode" != report ]; then exit 1; fi
say "ok"
