#!/usr/bin/env bash
# examples/counter as the README shows it: membrane link with --wit/--world, the output
# validated, run on Node 26 with the expected output, and the use-after-drop trap with
# its message; exit(7) from main runs the destructors too.
#
# usage: counter_example.sh MEMBRANE WASM_VALIDATE NODE EXAMPLE_DIR LIB.wasm APP.wasm
set -euo pipefail
membrane=$1 validate=$2 node=$3 dir=$4 lib=$5 app=$6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/counter.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$membrane" link app="$app" lib="$lib" --wit "$dir/counter.wit" \
  --world lib=example:counter/lib --world app=example:counter/app \
  --export app._start --export app.memory --export lib.destroyed -o "$tmp/counter.wasm" 2> /dev/null
"$validate" --enable-multi-memory "$tmp/counter.wasm"
# --wit also takes the package directory: the same output
"$membrane" link app="$app" lib="$lib" --wit "$dir" \
  --world lib=example:counter/lib --world app=example:counter/app \
  --export app._start --export app.memory --export lib.destroyed -o "$tmp/counter-dir.wasm" 2> /dev/null
cmp "$tmp/counter.wasm" "$tmp/counter-dir.wasm"
"$node" --disable-warning=ExperimentalWarning "$dir/run.mjs" "$tmp/counter.wasm" > "$tmp/out.txt"
diff -u "$dir/expected.txt" "$tmp/out.txt"
# exit(7) in main: proc_exit still runs the destructor of d, left alive
"$node" --disable-warning=ExperimentalWarning "$dir/run.mjs" "$tmp/counter.wasm" exit 7 > "$tmp/exit.txt"
sed '$s/.*/exit 7; destructors run in lib: 4/' "$dir/expected.txt" | diff -u - "$tmp/exit.txt"
status=0
"$node" --disable-warning=ExperimentalWarning "$dir/run.mjs" "$tmp/counter.wasm" use-after-drop \
  > "$tmp/trap.txt" || status=$?
[ "$status" -eq 3 ] || { echo "use-after-drop: exit status $status, expected 3"; exit 1; }
grep -qxF 'trap: unreachable, at membrane: use of dropped handle' "$tmp/trap.txt" ||
  { echo "use-after-drop: no trap message"; cat "$tmp/trap.txt"; exit 1; }
echo "counter example: ok"
