#!/usr/bin/env bash
# `membrane link` refusing GC modules whose imports and exports do not match: exit status
# 1, both instances, the import and both types as text on stderr (the referenced struct
# types spelled out), no output file left. The modules are GC text assembled by
# binaryen's wasm-as (wabt cannot).
#
# usage: gc_errors.sh MEMBRANE NODE WASM_AS
set -u
abs() { case $1 in /*) printf '%s' "$1" ;; */*) printf '%s/%s' "$PWD" "$1" ;; *) printf '%s' "$1" ;; esac; }
membrane=$(abs "$1")
node=$(abs "$2")
wasm_as=$(abs "$3")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/link-gc-errors.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in" "$tmp/out"
cd "$tmp/in" || exit 2
failures=0
cases=0
bad() {
  failures=$((failures + 1))
  printf 'FAIL %s: %s\n' "$case" "$*"
}
wat() {
  printf '%s\n' "$2" > "$1.wat"
  "$node" "$wasm_as" --enable-gc --enable-reference-types "$1.wat" -o "$1.wasm" ||
    { echo "wasm-as $1 failed"; exit 2; }
}
expect_error() {
  case=$1
  shift
  local want=()
  while [ "$1" != "--" ]; do want+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  local before=$failures
  rm -rf "$tmp/out" && mkdir "$tmp/out"
  "$membrane" link "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local status=$?
  [ "$status" -eq 1 ] || bad "exit status $status, expected 1"
  for w in "${want[@]}"; do
    grep -qF -- "$w" "$tmp/stderr" || bad "stderr lacks '$w'"
  done
  [ -z "$(ls -A "$tmp/out")" ] || bad "left in the output directory: $(ls -A "$tmp/out")"
  if [ "$failures" -gt "$before" ]; then
    printf '  $ membrane link %s\n  stderr: %s\n' "$*" "$(cat "$tmp/stderr")"
  fi
}
out=$tmp/out/out.wasm

wat lib '(module
  (type $node (struct (field $v i32)))
  (type $base (sub (func (param i32) (result i32))))
  (type $derived (sub $base (func (param i32) (result i32))))
  (func (export "sum") (param (ref null $node)) (result i32) (i32.const 0))
  (func (export "base") (type $base) (i32.const 1))
  (func (export "derived") (type $derived) (i32.const 2))
  (global (export "g") (ref null $node) (ref.null $node))
)'
# a struct of another field type: a different type, though both are "ref null 0"
wat other '(module
  (type $pt (struct (field $x f64)))
  (import "lib" "sum" (func (param (ref null $pt)) (result i32)))
)'
expect_error struct-field "type mismatch" "instance 'other' imports lib.sum as func" \
  "instance 'lib' exports 'sum' as func" "((ref null 0)) -> (i32) where 0 = struct (field f64)" \
  "where 0 = struct (field i32)" -- other=other.wasm lib=lib.wasm -o "$out"

# an import of the subtype cannot take the supertype (the other way round is fine)
wat narrow '(module
  (type $base (sub (func (param i32) (result i32))))
  (type $derived (sub $base (func (param i32) (result i32))))
  (import "lib" "base" (func (type $derived)))
)'
expect_error supertype-for-subtype "type mismatch" "instance 'narrow' imports lib.base" \
  "(sub of 0)" -- narrow=narrow.wasm lib=lib.wasm -o "$out"

# an immutable global of a non-nullable reference cannot take a nullable one
wat strict '(module
  (type $node (struct (field $v i32)))
  (import "lib" "g" (global (ref $node)))
)'
expect_error global-nullability "type mismatch" "instance 'strict' imports lib.g as global" \
  "global (ref 0) where 0 = struct (field i32)" "(ref null 0)" -- strict=strict.wasm lib=lib.wasm -o "$out"

# and what must be accepted: the subtype for the supertype, a nullable import of the
# global, the same struct defined again
wat wide '(module
  (type $node (struct (field $v i32)))
  (type $base (sub (func (param i32) (result i32))))
  (import "lib" "derived" (func $d (type $base)))
  (import "lib" "g" (global $g (ref null struct)))
  (import "lib" "sum" (func $s (param (ref null $node)) (result i32)))
  (func (export "run") (result i32) (i32.add (call $d (i32.const 0)) (call $s (ref.null $node))))
)'
case=accepted
cases=$((cases + 1))
"$membrane" link wide=wide.wasm lib=lib.wasm -o "$tmp/ok.wasm" 2> "$tmp/stderr" ||
  bad "refused: $(cat "$tmp/stderr")"
[ -f "$tmp/ok.wasm" ] && ! "$node" -e "
  const m = new WebAssembly.Module(require('fs').readFileSync('$tmp/ok.wasm'));
  const r = new WebAssembly.Instance(m).exports.run();
  if (r !== 2) { console.error('run() = ' + r + ', expected 2'); process.exit(1); }" &&
  bad "the fused module does not run as expected"

printf '%d cases, %d failures\n' "$cases" "$failures"
[ "$failures" -eq 0 ]
