#!/usr/bin/env bash
# One program of the wasi-virt corpus, run three ways on Node 26, which must agree on
# stdout and exit status:
#   (a) directly, with a copy of the data tree preopened as /data;
#   (b) through `membrane virt --mount /data=/host/tree:rw`, the host preopening the
#       copy's parent as /host (so the mount confines it to tree/);
#   (c) through `membrane virt --embed /data=DATA --mem /data` (copy-on-write in memory).
# Afterwards (a) and (b) must have left the same tree, and nothing outside tree/ may
# have changed. Every output is validated.
#
# usage: corpus.sh MEMBRANE NODE WASM_VALIDATE PROG.wasm DATA_DIR [ARGS...]
set -euo pipefail
membrane=$1 node=$2 validate=$3 prog=$4 data=$5
shift 5
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$prog")
env_args=(--env GREETING=hello --env EMPTY=)
virt_env=(--env GREETING=hello --env EMPTY=)
virt_args=()
for a in "$@"; do virt_args+=(--arg "$a"); done

fail() { echo "FAIL ($name): $*" >&2; exit 1; }

run() { # run OUTFILE CMD... : stdout to OUTFILE, the exit status echoed
  local out=$1 rc=0
  shift
  "$@" >"$out" 2>"$out.err" || rc=$?
  echo "$rc"
}

# (a) direct
mkdir -p "$tmp/a"
cp -a "$data" "$tmp/a/tree"
rc_a=$(run "$tmp/a.out" "$node" "$here/run.mjs" --preopen "/data=$tmp/a/tree" "${env_args[@]}" \
  --argv0 "$name" "$prog" "$@")

# (b) host mount, confined to tree/ below the preopen
mkdir -p "$tmp/b"
cp -a "$data" "$tmp/b/tree"
echo "outside the mount" > "$tmp/b/outside.txt"
"$membrane" virt "$prog" -o "$tmp/b.wasm" --mount /data=/host/tree:rw "${virt_env[@]}" \
  "${virt_args[@]}"
"$validate" --enable-multi-memory "$tmp/b.wasm" || fail "(b) output does not validate"
rc_b=$(run "$tmp/b.out" "$node" "$here/run.mjs" --preopen "/host=$tmp/b" "$tmp/b.wasm")

# (c) embedded tree with an in-memory copy-on-write layer
"$membrane" virt "$prog" -o "$tmp/c.wasm" --embed "/data=$data" --mem /data "${virt_env[@]}" \
  "${virt_args[@]}"
"$validate" --enable-multi-memory "$tmp/c.wasm" || fail "(c) output does not validate"
rc_c=$(run "$tmp/c.out" "$node" "$here/run.mjs" "$tmp/c.wasm")

for v in b c; do
  rc_v=rc_$v
  if ! cmp -s "$tmp/a.out" "$tmp/$v.out"; then
    diff -u "$tmp/a.out" "$tmp/$v.out" >&2 || true
    cat "$tmp/$v.out.err" >&2
    fail "stdout of ($v) differs from the direct run"
  fi
  [ "$rc_a" = "${!rc_v}" ] || { cat "$tmp/$v.out.err" >&2; fail "exit status ($v) ${!rc_v}, direct $rc_a"; }
done
if ! diff -r --no-dereference "$tmp/a/tree" "$tmp/b/tree" >&2; then fail "(b) left a different tree than (a)"; fi
[ "$(cat "$tmp/b/outside.txt")" = "outside the mount" ] || fail "(b) changed a file outside the mount"
[ "$(ls "$tmp/b")" = "$(printf 'outside.txt\ntree')" ] || fail "(b) created files outside the mount"
echo "ok: $name, $(wc -l <"$tmp/a.out") lines, exit $rc_a, same on direct / --mount / --embed+--mem"
