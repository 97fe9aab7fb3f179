#!/usr/bin/env bash
# bench-virt: the same WASI program (virt_io.c: 100,000 read()s of 4 KiB, 100,000 small
# write()s to stdout) on Node 26, three ways in the same run:
#   direct   node:wasi with /data preopened;
#   mount    through `membrane virt --mount /data=/host:ro` (the host preopens /host);
#   embed    through `membrane virt --embed /data=DIR` (the file inside the module).
# Each is run BENCH_RUNS times (default 5) and the fastest time of each phase is taken,
# as the program measures it (monotonic clock; --clock real for the virt outputs).
# Prints times and ratios to direct. Goals: mount <= 1.3x direct, embed faster than
# direct (reads). Also prints the size of the wasi-virt module in a fully virtual output.
#
# usage: virt_bench.sh MEMBRANE NODE VIRT_IO.wasm
set -euo pipefail
membrane=$1 node=$2 prog=$3
runs=${BENCH_RUNS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/host"
head -c $((4 * 1024 * 1024)) /dev/urandom > "$tmp/host/big.bin"
"$membrane" virt "$prog" -o "$tmp/mount.wasm" --mount /data=/host:ro --clock real
"$membrane" virt "$prog" -o "$tmp/embed.wasm" --embed "/data=$tmp/host" --clock real

run() { # run NAME ARGS... -> "read_ns write_ns" (fastest of each), checks the checksum
  local best_r=0 best_w=0 sums
  for _ in $(seq "$runs"); do
    "$node" --disable-warning=ExperimentalWarning "$here/virt/run.mjs" "$@" \
      > "$tmp/out" 2> "$tmp/err"
    tail -n 1 "$tmp/out" >> "$tmp/sums"
    read -r r w < "$tmp/err"
    if [ "$best_r" = 0 ] || [ "$r" -lt "$best_r" ]; then best_r=$r; fi
    if [ "$best_w" = 0 ] || [ "$w" -lt "$best_w" ]; then best_w=$w; fi
  done
  echo "$best_r $best_w"
}

read -r dr dw < <(run --preopen "/data=$tmp/host" "$prog")
read -r mr mw < <(run --preopen "/host=$tmp/host" "$tmp/mount.wasm")
read -r er ew < <(run "$tmp/embed.wasm")
[ "$(sort -u "$tmp/sums" | wc -l)" = 1 ] || { echo "the three ways read different data" >&2; exit 1; }

ms() { awk -v n="$1" 'BEGIN { printf "%.1f ms", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
printf '%-8s %14s %8s %14s %8s\n' "" "100k reads" "ratio" "100k writes" "ratio"
printf '%-8s %14s %8s %14s %8s\n' direct "$(ms "$dr")" 1.00x "$(ms "$dw")" 1.00x
printf '%-8s %14s %8s %14s %8s\n' mount "$(ms "$mr")" "$(ratio "$mr" "$dr")" "$(ms "$mw")" "$(ratio "$mw" "$dw")"
printf '%-8s %14s %8s %14s %8s\n' embed "$(ms "$er")" "$(ratio "$er" "$dr")" "$(ms "$ew")" "$(ratio "$ew" "$dw")"

"$membrane" virt "$prog" -o "$tmp/virtual.wasm" --embed "/data=$tmp/host" --mem /tmp
echo "wasi-virt in a fully virtual output: $(stat -c %s "$here/../build/wasi-virt/mb_wasi_virt_nohost_wasm.wasm" 2>/dev/null || echo '?') bytes (goal < 40 KB)"

status=0
awk -v m="$mr" -v d="$dr" 'BEGIN { exit !(m <= 1.3 * d) }' || { echo "goal missed: mount reads > 1.3x direct"; status=1; }
awk -v m="$mw" -v d="$dw" 'BEGIN { exit !(m <= 1.3 * d) }' || { echo "goal missed: mount writes > 1.3x direct"; status=1; }
awk -v e="$er" -v d="$dr" 'BEGIN { exit !(e < d) }' || { echo "goal missed: embed reads not faster than direct"; status=1; }
exit "$status"
