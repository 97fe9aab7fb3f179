#!/usr/bin/env bash
# `membrane link --memory single` of a WASI command that calls the host's WASI itself
# (the growable region, at base K > 0) with a second instance below it: each of its WASI
# imports that takes pointers goes through a generated wrapper moving them (and its iovec
# arrays, argv and environ) by K. The program must behave exactly as it does directly on
# the same engine (Node 20, no multi-memory): stdout, exit status, the files it leaves.
#
# usage: single_wasi.sh MEMBRANE WASM_VALIDATE NODE20 RUN.mjs PROG.wasm LIB.wasm DATA_DIR [ARGS...]
set -euo pipefail
membrane=$(realpath "$1") validate=$2 node=$(realpath "$3") run=$(realpath "$4") prog=$(realpath "$5") lib=$(realpath "$6") data=$7
shift 7
tmp=$(mktemp -d "${TMPDIR:-/tmp}/single_wasi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$prog" .wasm)
fail() { echo "FAIL ($name): $*"; exit 1; }
"$membrane" link "$name=$prog" "lib=$lib" --memory single --memory-size lib=4 \
  -o "$tmp/single.wasm" 2> /dev/null
"$validate" "$tmp/single.wasm" || fail "the output does not validate without multi-memory"
"$membrane" inspect "$tmp/single.wasm" | grep -q 'membrane:wasi ' || fail "no WASI wrapper region"
mkdir -p "$tmp/direct" "$tmp/single"
cp -a "$data" "$tmp/direct/tree"
cp -a "$data" "$tmp/single/tree"
rc_d=0 rc_s=0
(cd "$tmp" && "$node" --no-warnings "$run" --preopen /data="$tmp/direct/tree" --env GREETING=hello \
  --env EMPTY= --argv0 "$name.wasm" "$prog" "$@") > "$tmp/direct.out" 2> "$tmp/direct.err" || rc_d=$?
(cd "$tmp" && "$node" --no-warnings "$run" --preopen /data="$tmp/single/tree" --env GREETING=hello \
  --env EMPTY= --argv0 "$name.wasm" "$tmp/single.wasm" "$@") > "$tmp/single.out" 2> "$tmp/single.err" || rc_s=$?
diff -u "$tmp/direct.out" "$tmp/single.out" || { cat "$tmp/single.err"; fail "stdout differs"; }
[ "$rc_d" = "$rc_s" ] || { cat "$tmp/single.err"; fail "exit status $rc_s, directly $rc_d"; }
diff -r --no-dereference "$tmp/direct/tree" "$tmp/single/tree" || fail "the files it left differ"
echo "ok: $name, $(wc -l < "$tmp/direct.out") lines, exit $rc_d, the same through the WASI wrappers on $("$node" --version)"
