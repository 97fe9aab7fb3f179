#!/usr/bin/env bash
# v8_validate.sh [--enable-...] FILE.wasm: validation by V8 (Node 26, $NODE) for outputs
# wabt's wasm-validate cannot read (GC, Wasm 3.0): they must compile. Takes
# wasm-validate's arguments so corpus.sh can call it in its place (the flags are V8's
# defaults anyway: multi-memory, GC, typed function references).
set -eu
exec "${NODE:?NODE must name Node 26}" -e \
  'new WebAssembly.Module(require("fs").readFileSync(process.argv[1]))' -- "${@: -1}"
