#!/usr/bin/env bash
# Two clients of one wasi-virt (progs/clients_app.c, a command, and clients_lib.c, a
# reactor using WASI itself), composed by `membrane virt APP LIB`, on Node 26: each has
# its own descriptor table, so a number from one means nothing in the other (badf).
#
# usage: clients.sh MEMBRANE NODE WASM_VALIDATE APP.wasm LIB.wasm DATA_DIR
set -euo pipefail
membrane=$1 node=$2 validate=$3 app=$4 lib=$5 data=$6
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$membrane" virt "$app" clients_lib="$lib" -o "$tmp/out.wasm" --embed "/data=$data" 2>/dev/null
"$validate" --enable-multi-memory "$tmp/out.wasm"
got=$("$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "$tmp/out.wasm")
want="app opened /data/in.txt as fd 4
the library reading the app's fd 4: errno 8
the library reading fd 4711: errno 8
the library opened its own: ok
the library reading its own fd: errno 0
the app reading its fd 4 afterwards: ok
hello from the library's own stdout"
if [ "$got" != "$want" ]; then
  diff <(echo "$want") <(echo "$got") >&2 || true
  echo "FAIL: the two clients' output differs" >&2
  exit 1
fi
echo "ok: two clients, two descriptor tables"
