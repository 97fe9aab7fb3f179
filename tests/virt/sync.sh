#!/usr/bin/env bash
# fsync is durable through wasi-virt (issue 10, item 3): progs/syncs.c makes N commits
# (write, then fsync or fdatasync in turn) and syncs its directory once, run on Node 26
#   direct  /data preopened;
#   mount   through `membrane virt --mount /data=/host/tree:rw`;
#   mem     through `membrane virt --mem /data`;
# with run.mjs --count-calls counting the host's preview1 calls. Every run must succeed
# with the same output; the mount run must make at least the direct run's host fd_sync
# and fd_datasync calls (each at least N/2, the directory's included), and leave the same
# journal; the mem run none at all (nothing there is more durable than memory).
#
# usage: sync.sh MEMBRANE NODE SYNCS.wasm N
set -euo pipefail
membrane=$1 node=$2 prog=$3 n=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run=("$node" --disable-warning=ExperimentalWarning "$here/run.mjs")
count() { # count CALLS.json FUNC
  "$node" -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
              console.log(c[process.argv[2]] ?? 0)' "$1" "$2"
}

mkdir -p "$tmp/direct" "$tmp/mount/tree"
"${run[@]}" --count-calls "$tmp/direct.json" --preopen "/data=$tmp/direct" --argv0 syncs \
  "$prog" "$n" > "$tmp/direct.out" || fail "direct run failed: $(cat "$tmp/direct.out")"
"$membrane" virt "$prog" -o "$tmp/mount.wasm" --mount /data=/host/tree:rw --arg "$n" 2>/dev/null
"${run[@]}" --count-calls "$tmp/mount.json" --preopen "/host=$tmp/mount" "$tmp/mount.wasm" \
  > "$tmp/mount.out" || fail "mount run failed: $(cat "$tmp/mount.out")"
"$membrane" virt "$prog" -o "$tmp/mem.wasm" --mem /data --arg "$n" 2>/dev/null
"${run[@]}" --count-calls "$tmp/mem.json" "$tmp/mem.wasm" > "$tmp/mem.out" ||
  fail "mem run failed: $(cat "$tmp/mem.out")"

for v in mount mem; do
  diff -u "$tmp/direct.out" "$tmp/$v.out" >&2 || fail "($v) prints differently from the direct run"
done
cmp -s "$tmp/direct/journal" "$tmp/mount/tree/journal" || fail "(mount) left a different journal"
half=$((n / 2))
for f in fd_sync fd_datasync; do
  d=$(count "$tmp/direct.json" $f) m=$(count "$tmp/mount.json" $f) r=$(count "$tmp/mem.json" $f)
  echo "$f host calls: direct $d, mount $m, mem $r"
  [ "$d" -ge "$half" ] || fail "the direct run made only $d $f calls (N=$n): the test is wrong"
  [ "$m" -ge "$d" ] || fail "durability lost: (mount) made $m host $f calls, the direct run $d"
  [ "$r" = 0 ] || fail "(mem) made $r host $f calls"
done
echo "ok: $n commits, every sync reached the host through the :rw mount, none through --mem"
