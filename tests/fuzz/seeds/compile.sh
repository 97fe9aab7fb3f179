#!/usr/bin/env bash
# Rebuilds the seed part of the wasm corpus: every seeds/*.wat with wat2wasm, plus the
# byte-level seeds of binary_seeds.py, into corpus/wasm/ (the seed files keep their
# names; inputs libFuzzer found are named by their SHA-1 and are left alone).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/../corpus/wasm
mkdir -p "$out"
for wat in "$here"/*.wat; do
  base=$(basename "$wat" .wat)
  flags=(--enable-all)
  case $base in
    names) flags+=(--debug-names) ;;
    # wabt 1.0.32 rejects a global.get of a defined global in an initialiser
    dependent_globals) flags+=(--no-check) ;;
    # --enable-all turns on typed function references, under which wabt 1.0.32 types
    # ref.func as (ref $t) and rejects it where funcref is expected
    bulk_ref) flags=() ;;
  esac
  wat2wasm "${flags[@]}" "$wat" -o "$out/$base.wasm"
done
python3 "$here/binary_seeds.py" "$out"
# GC and typed function references: wabt 1.0.32 cannot assemble them, binaryen 132
# (scripts/setup, run on Node 26) can. The GC test fixtures, as written and as wasm-opt's
# fuzzer grows a random module from their bytes (-ttf), at most a few KB each.
root=$here/../../..
node=$root/.deps/node/bin/node
binaryen=$root/.deps/binaryen/node_modules/binaryen/bin
gc_features=(--enable-gc --enable-reference-types --enable-tail-call --enable-bulk-memory
             --enable-multivalue)
for wat in "$root"/tests/fixtures/gc/*.wat; do
  base=$(basename "$wat" .wat)
  "$node" "$binaryen/wasm-as" "${gc_features[@]}" "$wat" -o "$out/$base.wasm"
  "$node" "$binaryen/wasm-opt" "${gc_features[@]}" -ttf "$wat" -o "$out/${base}_ttf.wasm"
done
