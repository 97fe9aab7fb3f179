#!/usr/bin/env bash
# fuzz_link's corpus against an outside validator: the replay writes every output it
# linked with its input modules (MB_FUZZ_OUT); whenever wasm-validate accepts every
# input module, it must accept the output too. (membrane's reader is no validator, so
# inputs it reads may be invalid; those outputs are skipped.)
# usage: link_validate.sh REPLAY_EXE WASM_VALIDATE DIR...
set -euo pipefail
exe=$1 validate=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
MB_FUZZ_OUT=$out "$exe" "$@"
checked=0 skipped=0
for o in "$out"/*.out.wasm; do
  [ -e "$o" ] || continue
  n=${o%.out.wasm}
  valid=1
  for i in "$n".in.*.wasm; do
    "$validate" --enable-all "$i" >/dev/null 2>&1 || { valid=0; break; }
  done
  if [ $valid = 0 ]; then
    skipped=$((skipped + 1))
    continue
  fi
  if ! "$validate" --enable-all "$o" >/dev/null 2>"$out/err"; then
    echo "$(basename "$o"): valid inputs, invalid output:" >&2
    cat "$out/err" >&2
    for i in "$n".in.*.wasm; do cp "$i" "${TMPDIR:-/tmp}/"; done
    cp "$o" "${TMPDIR:-/tmp}/"
    echo "(inputs and output copied to ${TMPDIR:-/tmp})" >&2
    exit 1
  fi
  checked=$((checked + 1))
done
echo "$checked outputs of valid inputs validate ($skipped with an input wasm-validate refuses)"
[ $checked -gt 0 ]
