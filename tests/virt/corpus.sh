#!/usr/bin/env bash
# One program of the wasi-virt corpus, run on Node 26 up to four ways, which must agree on
# stdout and exit status:
#   direct  directly, with a copy of the data tree preopened as /data;
#   mount   through `membrane virt --mount /data=/host/tree:rw`, the host preopening the
#           copy's parent as /host (so the mount confines it to tree/);
#   mem     through `membrane virt --mem /data`: an empty in-memory tree (the program makes
#           its own fixtures);
#   embed   through `membrane virt --embed /data=DATA --mem /data` (copy-on-write in memory).
# Afterwards direct and mount must have left the same tree, and nothing outside tree/ may
# have changed. Every output is validated.
#
# usage: corpus.sh MEMBRANE NODE WASM_VALIDATE PROG.wasm DATA_DIR [options] [--] [ARGS...]
#   --modes LIST      comma list of direct,mount,mem,embed (default direct,mount,embed)
#   --expect FILE     the spec's stdout: every wasi-virt run must print exactly FILE, the
#                     direct run too but for the lines of --node-wrong keys; without it,
#                     the wasi-virt runs must print what the direct run printed
#   --node-wrong KEY  lines starting with "KEY:" are where Node's WASI is known to differ
#                     from the spec: not compared for the direct run (repeatable)
#   --no-env          no environment variables at all (default GREETING=hello, EMPTY=)
#   --virt-opt OPT    one more option for every `membrane virt` (repeatable), e.g.
#                     --env-inherit
#   --single NODE20   also build every wasi-virt output with --memory single, which must
#                     validate without multi-memory and, run on NODE20 (no multi-memory),
#                     print the same and exit the same as the multi-memory run (a mount
#                     run on its own copy of the tree, which must end the same)
set -euo pipefail
membrane=$1 node=$2 validate=$3 prog=$4 data=$5
shift 5
modes=direct,mount,embed expect="" node_wrong=() no_env=0 virt_opts=() node_single=
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
    --node-wrong) node_wrong+=("$2"); shift 2 ;;
    --no-env) no_env=1; shift ;;
    --virt-opt) virt_opts+=("$2"); shift 2 ;;
    --single) node_single=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$prog")
env_args=(--env GREETING=hello --env EMPTY=)
virt_env=(--env GREETING=hello --env EMPTY=)
if [ "$no_env" = 1 ]; then env_args=() virt_env=(); fi
virt_args=("${virt_opts[@]}")
for a in "$@"; do virt_args+=(--arg "$a"); done
has_mode() { case ",$modes," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
for m in ${modes//,/ }; do
  case "$m" in direct|mount|mem|embed) ;; *) echo "corpus.sh: unknown mode '$m'" >&2; exit 2 ;; esac
done

fail() { echo "FAIL ($name): $*" >&2; exit 1; }

run() { # run OUTFILE CMD... : stdout to OUTFILE, the exit status echoed
  local out=$1 rc=0
  shift
  "$@" >"$out" 2>"$out.err" || rc=$?
  echo "$rc"
}

# direct
rc_direct=""
if has_mode direct; then
  mkdir -p "$tmp/direct"
  cp -a "$data" "$tmp/direct/tree"
  rc_direct=$(run "$tmp/direct.out" "$node" "$here/run.mjs" --preopen "/data=$tmp/direct/tree" \
    "${env_args[@]}" --argv0 "$name" "$prog" "$@")
fi

# mount: a host mount, confined to tree/ below the preopen
if has_mode mount; then
  mkdir -p "$tmp/mount"
  cp -a "$data" "$tmp/mount/tree"
  echo "outside the mount" > "$tmp/mount/outside.txt"
  "$membrane" virt "$prog" -o "$tmp/mount.wasm" --mount /data=/host/tree:rw "${virt_env[@]}" \
    "${virt_args[@]}"
  "$validate" --enable-multi-memory "$tmp/mount.wasm" || fail "(mount) output does not validate"
  rc_mount=$(run "$tmp/mount.out" "$node" "$here/run.mjs" --preopen "/host=$tmp/mount" "$tmp/mount.wasm")
  if [ -n "$node_single" ]; then
    mkdir -p "$tmp/mount1"
    cp -a "$data" "$tmp/mount1/tree"
    echo "outside the mount" > "$tmp/mount1/outside.txt"
    "$membrane" virt "$prog" -o "$tmp/mount1.wasm" --mount /data=/host/tree:rw "${virt_env[@]}" \
      "${virt_args[@]}" --memory single 2> /dev/null
    "$validate" "$tmp/mount1.wasm" || fail "(mount, --memory single) output does not validate"
    rc_mount1=$(run "$tmp/mount1.out" "$node_single" "$here/run.mjs" --preopen "/host=$tmp/mount1" "$tmp/mount1.wasm")
  fi
fi

# mem: an empty in-memory tree
if has_mode mem; then
  "$membrane" virt "$prog" -o "$tmp/mem.wasm" --mem /data "${virt_env[@]}" "${virt_args[@]}"
  "$validate" --enable-multi-memory "$tmp/mem.wasm" || fail "(mem) output does not validate"
  rc_mem=$(run "$tmp/mem.out" "$node" "$here/run.mjs" "$tmp/mem.wasm")
  if [ -n "$node_single" ]; then
    "$membrane" virt "$prog" -o "$tmp/mem1.wasm" --mem /data "${virt_env[@]}" "${virt_args[@]}" \
      --memory single 2> /dev/null
    "$validate" "$tmp/mem1.wasm" || fail "(mem, --memory single) output does not validate"
    rc_mem1=$(run "$tmp/mem1.out" "$node_single" "$here/run.mjs" "$tmp/mem1.wasm")
  fi
fi

# embed: an embedded tree with an in-memory copy-on-write layer
if has_mode embed; then
  "$membrane" virt "$prog" -o "$tmp/embed.wasm" --embed "/data=$data" --mem /data "${virt_env[@]}" \
    "${virt_args[@]}"
  "$validate" --enable-multi-memory "$tmp/embed.wasm" || fail "(embed) output does not validate"
  rc_embed=$(run "$tmp/embed.out" "$node" "$here/run.mjs" "$tmp/embed.wasm")
  if [ -n "$node_single" ]; then
    "$membrane" virt "$prog" -o "$tmp/embed1.wasm" --embed "/data=$data" --mem /data \
      "${virt_env[@]}" "${virt_args[@]}" --memory single 2> /dev/null
    "$validate" "$tmp/embed1.wasm" || fail "(embed, --memory single) output does not validate"
    rc_embed1=$(run "$tmp/embed1.out" "$node_single" "$here/run.mjs" "$tmp/embed1.wasm")
  fi
fi

# What each run must print: the spec's answer, or the direct run's.
if [ -n "$expect" ]; then
  ref=$expect
  if has_mode direct; then
    # the direct run, but for the lines where Node is known to be wrong
    filter() {
      local k pat=()
      for k in "${node_wrong[@]}"; do pat+=(-e "^$k:"); done
      if [ ${#pat[@]} -eq 0 ]; then cat "$1"; else grep -v "${pat[@]}" "$1" || true; fi
    }
    if ! diff -u <(filter "$expect") <(filter "$tmp/direct.out") >&2; then
      cat "$tmp/direct.out.err" >&2
      fail "the direct run on Node differs from the spec's answers ($expect)"
    fi
    for k in "${node_wrong[@]}"; do
      grep "^$k:" "$tmp/direct.out" | sed 's/^/node differs from the spec: /' || true
    done
  fi
else
  has_mode direct || fail "without --expect the direct run is the reference: add it to --modes"
  ref=$tmp/direct.out
fi
rc_ref=$rc_direct
for v in mount mem embed; do
  has_mode $v || continue
  rc_v=rc_$v
  if ! cmp -s "$ref" "$tmp/$v.out"; then
    diff -u "$ref" "$tmp/$v.out" >&2 || true
    cat "$tmp/$v.out.err" >&2
    fail "stdout of ($v) differs from $( [ -n "$expect" ] && echo "the spec's answers" || echo "the direct run")"
  fi
  # without a direct run, the first wasi-virt run sets the exit status the others must give
  [ -n "$rc_ref" ] || rc_ref=${!rc_v}
  [ "$rc_ref" = "${!rc_v}" ] || { cat "$tmp/$v.out.err" >&2; fail "exit status ($v) ${!rc_v}, expected $rc_ref"; }
done
if [ -n "$node_single" ]; then
  # --memory single on Node 20: what the multi-memory output did on Node 26
  for v in mount mem embed; do
    has_mode $v || continue
    rc_v=rc_$v rc_1=rc_${v}1
    if ! cmp -s "$tmp/$v.out" "$tmp/${v}1.out"; then
      diff -u "$tmp/$v.out" "$tmp/${v}1.out" >&2 || true
      cat "$tmp/${v}1.out.err" >&2
      fail "stdout of ($v, --memory single, $node_single) differs from ($v) on $node"
    fi
    [ "${!rc_v}" = "${!rc_1}" ] ||
      { cat "$tmp/${v}1.out.err" >&2; fail "exit status ($v, --memory single) ${!rc_1}, expected ${!rc_v}"; }
  done
  if has_mode mount; then
    diff -r --no-dereference "$tmp/mount/tree" "$tmp/mount1/tree" >&2 ||
      fail "(mount, --memory single) left a different tree than (mount)"
    [ "$(cat "$tmp/mount1/outside.txt")" = "outside the mount" ] ||
      fail "(mount, --memory single) changed a file outside the mount"
  fi
fi
if has_mode direct && has_mode mount; then
  if ! diff -r --no-dereference "$tmp/direct/tree" "$tmp/mount/tree" >&2; then
    fail "(mount) left a different tree than (direct)"
  fi
fi
if has_mode mount; then
  [ "$(cat "$tmp/mount/outside.txt")" = "outside the mount" ] || fail "(mount) changed a file outside the mount"
  [ "$(ls "$tmp/mount")" = "$(printf 'outside.txt\ntree')" ] || fail "(mount) created files outside the mount"
fi
lines=$(wc -l <"$ref")
echo "ok: $name, $lines lines, exit $rc_ref, same on ${modes//,/ / }${node_single:+, and with --memory single on $("$node_single" --version)}"
