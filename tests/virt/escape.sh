#!/usr/bin/env bash
# One case of the escape matrix (progs/escape.c) through `membrane virt --mount`, on
# Node 26: the call must fail with the expected errno and the host must be untouched.
#
# usage: escape.sh MEMBRANE NODE ESCAPE.wasm DATA_DIR CASE ERRNO [ro|rw [VIRT_OPT...]]
#   VIRT_OPTs go to `membrane virt` (e.g. --memory single, then run on a Node without
#   multi-memory)
set -euo pipefail
membrane=$1 node=$2 prog=$3 data=$4 case=$5 want=$6 mode=${7:-rw}
shift $(( $# < 7 ? $# : 7 ))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$data" "$tmp/tree"
echo "outside the mount" > "$tmp/outside.txt"
before=$(cd "$tmp" && find . -printf '%p %s %y\n' | sort)
"$membrane" virt "$prog" -o "$tmp/out.wasm" --mount "/data=/host/tree:$mode" --arg "$case" "$@"
got=$("$node" "$here/run.mjs" --preopen "/host=$tmp" "$tmp/out.wasm")
rm "$tmp/out.wasm"
after=$(cd "$tmp" && find . -printf '%p %s %y\n' | sort | grep -v '^\./tree/loop[12] ' || true)
if [ "$got" != "$case errno=$want" ]; then
  echo "FAIL: $case: got '$got', expected errno $want" >&2
  exit 1
fi
if [ "$before" != "$after" ]; then
  echo "FAIL: $case: the host tree changed" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "ok: $case refused with errno $want, host untouched"
