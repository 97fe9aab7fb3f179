#!/usr/bin/env bash
# bench-virt: the same WASI program (virt_io.c: 100,000 read()s of 4 KiB, 100,000 small
# write()s to stdout, 1,000 pwrite+fdatasync commits) on Node 26, three ways in the same run:
#   direct   node:wasi with /data preopened;
#   mount    through `membrane virt --mount /data=/host:rw` (the host preopens /host): the
#            commits' fdatasync reach the host;
#   embed    through `membrane virt --embed /data=DIR --mem /data` (the file inside the
#            module, writes in memory: a sync there has nothing to do).
# Each is run BENCH_RUNS times (default 5) and the fastest time of each phase is taken,
# as the program measures it (monotonic clock; --clock real for the virt outputs).
# Prints times and ratios to direct. Goals: mount <= 1.3x direct, embed faster than
# direct (reads); the commits are reported. Also prints the size of the wasi-virt module in a fully virtual output.
# Record and replay (issue 14):
#   record   the mount way with --record onto a second :rw mount (every byte read goes
#            to the log, as the run goes); goal: reads <= 1.5x the mount way's;
#   replay   the recorded run's log replayed with no host files (the log refers back to
#            bytes read before, so the 400 MB read come to a few MiB); the program's own
#            clock is the recorded one there, so the recorded run and the replay are
#            timed from outside (whole process, fastest of the runs); goal: the replay
#            faster than the recorded run.
#
# usage: virt_bench.sh MEMBRANE NODE VIRT_IO.wasm
set -euo pipefail
membrane=$1 node=$2 prog=$3
# the replay runs in an empty directory: a relative NODE must still be found from there
case $node in /*) ;; */*) node=$PWD/$node ;; esac
runs=${BENCH_RUNS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/host"
head -c $((4 * 1024 * 1024)) /dev/urandom > "$tmp/host/big.bin"
"$membrane" virt "$prog" -o "$tmp/mount.wasm" --mount /data=/host:rw --clock real
"$membrane" virt "$prog" -o "$tmp/embed.wasm" --embed "/data=$tmp/host" --mem /data --clock real
mkdir -p "$tmp/log"
"$membrane" virt "$prog" -o "$tmp/record.wasm" --mount /data=/host:rw --clock real \
  --mount /log=/log:rw --record /log/run.log

run() { # run ARGS... -> "read_ns write_ns sync_ns" (fastest of each), checks the checksum
  local best_r=0 best_w=0 best_s=0 sums
  for _ in $(seq "$runs"); do
    "$node" --disable-warning=ExperimentalWarning "$here/virt/run.mjs" "$@" \
      > "$tmp/out" 2> "$tmp/err"
    tail -n 1 "$tmp/out" >> "$tmp/sums"
    read -r r w s < "$tmp/err"
    if [ "$best_r" = 0 ] || [ "$r" -lt "$best_r" ]; then best_r=$r; fi
    if [ "$best_w" = 0 ] || [ "$w" -lt "$best_w" ]; then best_w=$w; fi
    if [ "$best_s" = 0 ] || [ "$s" -lt "$best_s" ]; then best_s=$s; fi
  done
  echo "$best_r $best_w $best_s"
}

# fdatasync calls that reached the host in one run (run.mjs --count-calls)
host_syncs() {
  "$node" --disable-warning=ExperimentalWarning "$here/virt/run.mjs" --count-calls "$tmp/calls.json" \
    "$@" > /dev/null 2>&1
  "$node" -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
              console.log((c.fd_sync ?? 0) + (c.fd_datasync ?? 0))' "$tmp/calls.json"
}

read -r dr dw ds < <(run --preopen "/data=$tmp/host" "$prog")
read -r mr mw ms_ < <(run --preopen "/host=$tmp/host" "$tmp/mount.wasm")
read -r er ew es < <(run "$tmp/embed.wasm")
read -r rr rw rs < <(run --preopen "/host=$tmp/host" --preopen "/log=$tmp/log" "$tmp/record.wasm")
log_bytes=$(stat -c %s "$tmp/log/run.log")

wall() { # wall ARGS... -> the fastest whole run of node run.mjs ARGS, in ns
  local best=0 t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$node" --disable-warning=ExperimentalWarning "$here/virt/run.mjs" "$@" > "$tmp/wall.out" 2>/dev/null
    t1=$(date +%s%N)
    if [ "$best" = 0 ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
  done
  echo "$best"
}
wrec=$(wall --preopen "/host=$tmp/host" --preopen "/log=$tmp/log" "$tmp/record.wasm")
cp "$tmp/wall.out" "$tmp/rec.out"
"$membrane" virt "$prog" -o "$tmp/replay.wasm" --replay "$tmp/log/run.log"
mkdir -p "$tmp/empty"
wrep=$(cd "$tmp/empty" && wall "$tmp/replay.wasm")
cmp -s "$tmp/rec.out" "$tmp/wall.out" || { echo "the replay printed something else" >&2; exit 1; }
dsyncs=$(host_syncs --preopen "/data=$tmp/host" "$prog")
msyncs=$(host_syncs --preopen "/host=$tmp/host" "$tmp/mount.wasm")
[ "$(sort -u "$tmp/sums" | wc -l)" = 1 ] || { echo "the three ways read different data" >&2; exit 1; }

ms() { awk -v n="$1" 'BEGIN { printf "%.1f ms", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
f='%-8s %14s %8s %14s %8s %14s %8s\n'
printf "$f" "" "100k reads" "ratio" "100k writes" "ratio" "1k commits" "ratio"
printf "$f" direct "$(ms "$dr")" 1.00x "$(ms "$dw")" 1.00x "$(ms "$ds")" 1.00x
printf "$f" mount "$(ms "$mr")" "$(ratio "$mr" "$dr")" "$(ms "$mw")" "$(ratio "$mw" "$dw")" \
  "$(ms "$ms_")" "$(ratio "$ms_" "$ds")"
printf "$f" embed "$(ms "$er")" "$(ratio "$er" "$dr")" "$(ms "$ew")" "$(ratio "$ew" "$dw")" \
  "$(ms "$es")" "$(ratio "$es" "$ds")"
printf "$f" record "$(ms "$rr")" "$(ratio "$rr" "$dr")" "$(ms "$rw")" "$(ratio "$rw" "$dw")" \
  "$(ms "$rs")" "$(ratio "$rs" "$ds")"
echo "record: reads $(ratio "$rr" "$mr") the mount way's (goal <= 1.5x), writes $(ratio "$rw" "$mw"), commits $(ratio "$rs" "$ms_"); log $((log_bytes / 1048576)) MiB"
echo "replay (whole run, timed from outside): recorded $(ms "$wrec"), replayed $(ms "$wrep") ($(ratio "$wrep" "$wrec"); goal < 1.00x)"
echo "host fd_sync+fd_datasync calls in one run: direct $dsyncs, mount $msyncs"

"$membrane" virt "$prog" -o "$tmp/virtual.wasm" --embed "/data=$tmp/host" --mem /tmp
echo "wasi-virt in a fully virtual output: $(stat -c %s "$here/../build/wasi-virt/mb_wasi_virt_nohost_wasm.wasm" 2>/dev/null || echo '?') bytes (goal < 40 KB)"

status=0
[ "$msyncs" -ge "$dsyncs" ] || { echo "durability lost: the mount run made fewer host syncs than the direct run"; status=1; }
awk -v m="$mr" -v d="$dr" 'BEGIN { exit !(m <= 1.3 * d) }' || { echo "goal missed: mount reads > 1.3x direct"; status=1; }
awk -v m="$mw" -v d="$dw" 'BEGIN { exit !(m <= 1.3 * d) }' || { echo "goal missed: mount writes > 1.3x direct"; status=1; }
awk -v e="$er" -v d="$dr" 'BEGIN { exit !(e < d) }' || { echo "goal missed: embed reads not faster than direct"; status=1; }
awk -v r="$rr" -v m="$mr" 'BEGIN { exit !(r <= 1.5 * m) }' || { echo "goal missed: recorded reads > 1.5x the mount way's"; status=1; }
awk -v r="$wrep" -v w="$wrec" 'BEGIN { exit !(r < w) }' || { echo "goal missed: the replay is not faster than the recorded run"; status=1; }
exit "$status"
