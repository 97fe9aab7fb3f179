#!/usr/bin/env bash
# bench-single: --memory single against the multi-memory output, both on Node 26, same run.
#   compute  single_compute.c (sieve, sort, hash: the application's own memory accesses,
#            no WASI in the loop) through `membrane virt --embed`: the app is the growable
#            region at base K > 0, every access carries the base in its offset;
#   virt     virt_io.c (100,000 read()s of 4 KiB, 100,000 small write()s) through --mount
#            and --embed: wasi-virt's calls, its region at 0, the app's buffers copied
#            with bounds-checked memory.copy.
# Each run BENCH_RUNS times (default 5), fastest of each phase. Goals: the application
# <= 1.05x, wasi-virt calls <= 1.1x (reported; BENCH_GOALS=enforce makes a miss fail).
#
# usage: single_bench.sh MEMBRANE NODE26 COMPUTE.wasm VIRT_IO.wasm
set -euo pipefail
membrane=$1 node=$2 compute=$3 io=$4
runs=${BENCH_RUNS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/host" "$tmp/empty"
head -c $((4 * 1024 * 1024)) /dev/urandom > "$tmp/host/big.bin"
for m in multi single; do
  "$membrane" virt "$compute" -o "$tmp/compute-$m.wasm" --embed "/data=$tmp/empty" --clock real \
    --memory "$m" 2> /dev/null
  "$membrane" virt "$io" -o "$tmp/mount-$m.wasm" --mount /data=/host:rw --clock real --memory "$m" 2> /dev/null
  "$membrane" virt "$io" -o "$tmp/embed-$m.wasm" --embed "/data=$tmp/host" --mem /data --clock real \
    --memory "$m" 2> /dev/null
done

best() { # best ARGS... -> the fastest of each of the three numbers the program prints on stderr
  local b1=0 b2=0 b3=0 key=${*: -1}
  key=$(basename "$key" .wasm)
  for _ in $(seq "$runs"); do
    "$node" --disable-warning=ExperimentalWarning "$here/virt/run.mjs" "$@" > "$tmp/out" 2> "$tmp/err"
    tail -n 1 "$tmp/out" >> "$tmp/sums.${key%-*}"
    read -r a b c < "$tmp/err"
    if [ "$b1" = 0 ] || [ "$a" -lt "$b1" ]; then b1=$a; fi
    if [ "$b2" = 0 ] || [ "$b" -lt "$b2" ]; then b2=$b; fi
    if [ "$b3" = 0 ] || [ "$c" -lt "$b3" ]; then b3=$c; fi
  done
  echo "$b1 $b2 $b3"
}
ms() { awk -v n="$1" 'BEGIN { printf "%.1f ms", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3fx", a / b }'; }
status=0
goal() { # goal WHAT SINGLE MULTI LIMIT
  if ! awk -v s="$2" -v m="$3" -v l="$4" 'BEGIN { exit !(s <= l * m) }'; then
    echo "goal missed: $1 single/multi > $4x"
    [ "${BENCH_GOALS:-}" = enforce ] && status=1
  fi
  return 0
}

# alternate multi and single runs so both see the same machine
read -r cs1 cq1 ch1 < <(best "$tmp/compute-multi.wasm")
read -r cs2 cq2 ch2 < <(best "$tmp/compute-single.wasm")
read -r cs3 cq3 ch3 < <(best "$tmp/compute-multi.wasm")
read -r cs4 cq4 ch4 < <(best "$tmp/compute-single.wasm")
min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }
cs_m=$(min "$cs1" "$cs3") cq_m=$(min "$cq1" "$cq3") ch_m=$(min "$ch1" "$ch3")
cs_s=$(min "$cs2" "$cs4") cq_s=$(min "$cq2" "$cq4") ch_s=$(min "$ch2" "$ch4")
read -r mr_m mw_m _ < <(best --preopen "/host=$tmp/host" "$tmp/mount-multi.wasm")
read -r mr_s mw_s _ < <(best --preopen "/host=$tmp/host" "$tmp/mount-single.wasm")
read -r er_m ew_m _ < <(best "$tmp/embed-multi.wasm")
read -r er_s ew_s _ < <(best "$tmp/embed-single.wasm")

for k in compute mount embed; do
  [ "$(sort -u "$tmp/sums.$k" | wc -l)" = 1 ] || { echo "$k: multi and single computed different results" >&2; exit 1; }
done
f='%-26s %12s %12s %9s\n'
printf "$f" "" multi single ratio
printf "$f" "app: sieve of 8M" "$(ms "$cs_m")" "$(ms "$cs_s")" "$(ratio "$cs_s" "$cs_m")"
printf "$f" "app: qsort of 1M" "$(ms "$cq_m")" "$(ms "$cq_s")" "$(ratio "$cq_s" "$cq_m")"
printf "$f" "app: hash of 64 MiB" "$(ms "$ch_m")" "$(ms "$ch_s")" "$(ratio "$ch_s" "$ch_m")"
printf "$f" "--mount: 100k reads 4K" "$(ms "$mr_m")" "$(ms "$mr_s")" "$(ratio "$mr_s" "$mr_m")"
printf "$f" "--mount: 100k writes" "$(ms "$mw_m")" "$(ms "$mw_s")" "$(ratio "$mw_s" "$mw_m")"
printf "$f" "--embed: 100k reads 4K" "$(ms "$er_m")" "$(ms "$er_s")" "$(ratio "$er_s" "$er_m")"
printf "$f" "--embed: 100k writes" "$(ms "$ew_m")" "$(ms "$ew_s")" "$(ratio "$ew_s" "$ew_m")"
goal "app sieve" "$cs_s" "$cs_m" 1.05
goal "app qsort" "$cq_s" "$cq_m" 1.05
goal "app hash" "$ch_s" "$ch_m" 1.05
goal "--mount reads" "$mr_s" "$mr_m" 1.1
goal "--mount writes" "$mw_s" "$mw_m" 1.1
goal "--embed reads" "$er_s" "$er_m" 1.1
goal "--embed writes" "$ew_s" "$ew_m" 1.1
exit "$status"
