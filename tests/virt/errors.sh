#!/usr/bin/env bash
# Every error path of `membrane virt` on the command line: exit status 1, one message on
# stderr that names what went wrong and where, and no output file left behind (nor a
# temporary one). The policy parser's own messages are unit-tested
# (tests/unit/test_wasi_virt_policy.c); here each reaches the user through the CLI.
# Also: a mount of a preopen the host does not have, or whose SUBDIR is missing, not a
# directory or a symlink, fails at start-up with a message.
#
# usage: errors.sh MEMBRANE NODE WAT2WASM PROG.wasm DATA_DIR
set -u
abs() { case $1 in /*) printf '%s' "$1" ;; */*) printf '%s/%s' "$PWD" "$1" ;; *) printf '%s' "$1" ;; esac; }
membrane=$(abs "$1") node=$(abs "$2") wat2wasm=$(abs "$3") prog=$(abs "$4") data=$(abs "$5")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/virt-errors.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in" "$tmp/out"
cd "$tmp/in" || exit 2
failures=0 cases=0
bad() {
  failures=$((failures + 1))
  printf 'FAIL %s: %s\n' "$case" "$*"
}
wat() {
  printf '%s\n' "$2" > "$1.wat"
  "$wat2wasm" "$1.wat" -o "$1.wasm" || { echo "wat2wasm $1 failed"; exit 2; }
}

# expect_error CASE 'substring' ... -- ARGS
expect_error() {
  case=$1
  shift
  local want=()
  while [ "$1" != "--" ]; do want+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  local before=$failures
  rm -rf "$tmp/out" && mkdir "$tmp/out"
  "$membrane" virt "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local status=$?
  [ "$status" -eq 1 ] || bad "exit status $status, expected 1"
  for w in "${want[@]}"; do grep -qF -- "$w" "$tmp/stderr" || bad "stderr lacks '$w'"; done
  [ "$(wc -l < "$tmp/stderr")" -ge 1 ] || bad "no message"
  local left
  left=$(ls -A "$tmp/out")
  [ -z "$left" ] || bad "left in the output directory: $left"
  [ "$failures" -gt "$before" ] && printf '  $ membrane virt %s\n  stderr: %s\n' "$*" "$(cat "$tmp/stderr")"
}

wat nomem '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))'
wat unstable '(module (import "wasi_unstable" "proc_exit" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))'
wat mem64 '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") i64 1) (func (export "_start")))'
wat badtype '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))'
printf 'not wasm' > junk.wasm
out=$tmp/out/out.wasm

expect_error no-app "no application" -- -o "$out"
expect_error no-output "no output file" "-o" -- "$prog"
expect_error two-same-names "two instances called" -- "$prog" "$prog" -o "$out"
expect_error reserved-name "wasi_virt" "NAME=" -- wasi_virt="$prog" -o "$out"
expect_error unknown-option "unknown option '--frobnicate'" "--help" -- "$prog" --frobnicate -o "$out"
expect_error missing-value "--env needs a value" -- "$prog" -o "$out" --env
expect_error output-missing-value "-o needs a file name" -- "$prog" -o
expect_error missing-app-file "nothere.wasm" -- nothere.wasm -o "$out"
expect_error not-wasm "junk.wasm" "magic" -- junk.wasm -o "$out"
expect_error no-memory-export "nomem.wasm" "memory" -- nomem.wasm -o "$out"
expect_error wasi-unstable "wasi_unstable" "preview1" -- unstable.wasm -o "$out"
expect_error memory64 "64-bit" -- mem64.wasm -o "$out"
expect_error import-type "fd_write" "(i32) -> (i32)" -- badtype.wasm -o "$out"
expect_error bad-clock "--clock" "fixed:NANOS" -- "$prog" -o "$out" --clock sometimes
expect_error bad-random "--random" "seed" -- "$prog" -o "$out" --random often
expect_error bad-mount "--mount" -- "$prog" -o "$out" --mount nopath
expect_error bad-mount-mode "--mount" "ro" -- "$prog" -o "$out" --mount /d=/host:rx
expect_error bad-mem-limit "--mem" -- "$prog" -o "$out" --mem /tmp:lots
expect_error bad-fault-func "--fault" "fd_frobnicate" -- "$prog" -o "$out" --fault fd_frobnicate:1:io
expect_error bad-fault-errno "--fault" -- "$prog" -o "$out" --fault fd_read:1:nonsense
expect_error bad-stdio "--stdout" -- "$prog" -o "$out" --stdout sometimes
expect_error mount-conflict "/d" -- "$prog" -o "$out" --mount /d=/host:ro --mem /d
expect_error embed-missing "--embed" "/no/such/dir" -- "$prog" -o "$out" --embed /d=/no/such/dir
expect_error policy-missing "nothere.json" -- "$prog" -o "$out" --policy nothere.json
printf '{"clock": "fixed:1",\n "mount": 3}\n' > badvalue.json
expect_error policy-value "badvalue.json" "mount" -- "$prog" -o "$out" --policy badvalue.json
printf '{"clock": "fixed:1",\n "arg": [}\n' > badsyntax.json
expect_error policy-syntax "badsyntax.json:2:" -- "$prog" -o "$out" --policy badsyntax.json
printf '{"clokc": "real"}\n' > typo.json
expect_error policy-unknown-key "clokc" -- "$prog" -o "$out" --policy typo.json
# --export INST.NAME[=AS] (a JS host driving the program; reactor.mjs runs it)
pname=$(basename "$prog" .wasm)
expect_error export-unknown-instance "--export" "nope.main: no instance called 'nope'" "'$pname'" -- \
  "$prog" -o "$out" --export nope.main
expect_error export-wasi-virt "--export" "no instance called 'wasi_virt'" -- \
  "$prog" -o "$out" --export wasi_virt.memory=vm
expect_error export-unknown-name "--export $pname.nothere" "has no export 'nothere'" -- \
  "$prog" -o "$out" --export "$pname.nothere"
expect_error export-as-memory "'memory' is wasi-virt's" "--export $pname.memory=${pname}_memory" -- \
  "$prog" -o "$out" --export "$pname.memory"
expect_error export-as-memory-renamed "'memory' is wasi-virt's" -- \
  "$prog" -o "$out" --export "$pname._start=memory"
expect_error export-syntax "--export 'nodot'" "INSTANCE.NAME or INSTANCE.NAME=AS" -- \
  "$prog" -o "$out" --export nodot
expect_error export-missing-value "--export needs INSTANCE.NAME[=AS]" -- "$prog" -o "$out" --export
# --save GUEST=MOUNT-GUEST-PATH: GUEST a --mem tree, DEST inside a :rw --mount, apart
expect_error save-no-eq "--save /out" "expected GUEST=MOUNT-GUEST-PATH" -- "$prog" -o "$out" --save /out
expect_error save-relative "--save out=/res/x" "relative" -- "$prog" -o "$out" --save out=/res/x
expect_error save-guest-unmounted "--save /out=/res/out" "/out is not on any mount" "--mem /out" -- \
  "$prog" -o "$out" --mount /res=/host:rw --save /out=/res/out
expect_error save-guest-embed "--save /e=/res/e" "/e is on --embed /e=$data" "add --mem /e over it" -- \
  "$prog" -o "$out" --embed "/e=$data" --mount /res=/host:rw --save /e=/res/e
expect_error save-guest-host "--save /h/x=/res/x" "/h/x is on the host mount --mount /h=/host/h:rw" -- \
  "$prog" -o "$out" --mount /h=/host/h:rw --mount /res=/host:rw --save /h/x=/res/x
expect_error save-dest-unmounted "--save /out=/nowhere/out" "/nowhere/out is not inside any mount" ":rw --mount" -- \
  "$prog" -o "$out" --mem /out --save /out=/nowhere/out
expect_error save-dest-readonly "--save /out=/res/out" "/res/out is on --mount /res=/host:ro" ":rw" -- \
  "$prog" -o "$out" --mem /out --mount /res=/host:ro --save /out=/res/out
expect_error save-dest-mem "--save /out=/tmp/out" "/tmp/out is on --mem /tmp" -- \
  "$prog" -o "$out" --mem /out --mem /tmp --save /out=/tmp/out
expect_error save-dest-mount-point "--save /out=/res" "/res is not inside any mount" -- \
  "$prog" -o "$out" --mem /out --mount /res=/host:rw --save /out=/res
expect_error save-dest-over-mount "--save /out=/res/x" "/res/x would replace the mount point of --mem /res/x/in" -- \
  "$prog" -o "$out" --mem /out --mount /res=/host:rw --mem /res/x/in --save /out=/res/x
expect_error save-overlap "--save /out=/out/h/x" "GUEST /out and DEST /out/h/x overlap" -- \
  "$prog" -o "$out" --mem /out --mount /out/h=/host:rw --save /out=/out/h/x
expect_error save-two-dests "--save /b=/res/a/b" "/res/a/b overlaps the DEST of --save /a=/res/a" -- \
  "$prog" -o "$out" --mem /a --mem /b --mount /res=/host:rw --save /a=/res/a --save /b=/res/a/b
printf '{"mem": "/out", "mount": "/res=/host:rw", "save": ["/out=/res/out", "/nope=/res/n"]}\n' > save.json
expect_error save-json "--save /nope=/res/n" "/nope is not on any mount" -- "$prog" -o "$out" --policy save.json
printf '{"save": 3}\n' > savetype.json
expect_error save-json-type "savetype.json: save" "GUEST=MOUNT-GUEST-PATH" -- "$prog" -o "$out" --policy savetype.json
wat reactor '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") 1) (func (export "_initialize")))'
expect_error save-reactor "reactor.wasm" "exports no _start" "--save needs a command" -- \
  reactor.wasm -o "$out" --mem /out --mount /res=/host:rw --save /out=/res/out
expect_error output-dir-missing "no/such/dir" -- "$prog" -o "$tmp/out/no/such/dir/out.wasm"

# --help works and names the policy options
case=help
cases=$((cases + 1))
"$membrane" virt --help > "$tmp/help" 2>&1 || bad "--help exit status $?"
for w in --embed --mem --mount --env --env-allow --arg --stdin --clock --random --fault --trace --save --policy --export; do
  grep -qF -- "$w" "$tmp/help" || bad "--help lacks $w"
done

# A file called NAME.core.wasm is the instance NAME (up to the first '.'): --export
# names it so, and two files with the same first part clash with a hint.
case=default-name-first-dot
cases=$((cases + 1))
cp "$prog" "$pname.core.wasm"
"$membrane" virt "$pname.core.wasm" -o "$tmp/dn.wasm" --export "$pname._start" 2> "$tmp/stderr" ||
  bad "$pname.core.wasm refused: $(cat "$tmp/stderr")"
cp "$prog" "$pname.v2.wasm"
expect_error default-name-clash "two instances called '$pname'" "NAME=FILE" -- \
  "$pname.core.wasm" "$pname.v2.wasm" -o "$out"

# a mount of a preopen the host does not give: the output starts, says so, exits 1
case=missing-preopen
cases=$((cases + 1))
"$membrane" virt "$prog" -o "$tmp/mp.wasm" --mount /data=/elsewhere:ro || bad "could not build"
"$node" "$here/run.mjs" "$tmp/mp.wasm" x > "$tmp/stdout" 2> "$tmp/stderr" && bad "ran without its preopen"
grep -qF "the host preopens no directory called /elsewhere" "$tmp/stderr" || bad "stderr: $(cat "$tmp/stderr")"

# a --mount whose SUBDIR is missing, not a directory, or a symlink: at start, before the
# program runs, one line naming the mount, the host path and the reason, and exit status 1
# (proc_exit, not a trap: nothing else on stderr)
mkdir -p "$tmp/host/sub/deeper"
echo data > "$tmp/host/file"
ln -s sub "$tmp/host/link"
ln -s ../out "$tmp/host/outlink"
subdir_case() { # CASE SUBDIR 'expected line'
  case=$1
  cases=$((cases + 1))
  "$membrane" virt "$prog" -o "$tmp/sd.wasm" --mount "/data=/host/$2:rw" 2> "$tmp/stderr" ||
    bad "could not build: $(cat "$tmp/stderr")"
  "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" --preopen "/host=$tmp/host" \
    "$tmp/sd.wasm" x > "$tmp/stdout" 2> "$tmp/stderr"
  local status=$?
  [ "$status" -eq 1 ] || bad "exit status $status, expected 1"
  [ "$(cat "$tmp/stderr")" = "$3" ] ||
    bad "stderr: '$(head -c 600 "$tmp/stderr")', expected the one line '$3'"
  [ -s "$tmp/stdout" ] && bad "the program ran: $(cat "$tmp/stdout")"
  grep -qF "cannot mount the host directory below preopen" "$tmp/stderr" && bad "the old message"
}
subdir_case mount-subdir-missing sub/nosuch \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/sub/nosuch): /host/sub/nosuch: no such directory"
subdir_case mount-subdir-missing-parent nosuch/deeper \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/nosuch/deeper): /host/nosuch: no such directory"
subdir_case mount-subdir-file file \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/file): /host/file: not a directory"
subdir_case mount-subdir-below-file file/x \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/file/x): /host/file: not a directory"
subdir_case mount-subdir-symlink link \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/link): /host/link: a symlink (not followed: mount the directory it points to)"
subdir_case mount-subdir-symlink-out outlink \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/outlink): /host/outlink: a symlink (not followed: mount the directory it points to)"
subdir_case mount-subdir-through-symlink link/deeper \
  "membrane wasi-virt: cannot mount /data (--mount /data=/host/link/deeper): /host/link: a symlink (not followed: mount the directory it points to)"
# and a good one still mounts: the program runs (escape.wasm's usage error, status 2)
case=mount-subdir-ok
cases=$((cases + 1))
"$membrane" virt "$prog" -o "$tmp/sd.wasm" --mount "/data=/host/sub/deeper:rw" 2>/dev/null
"$node" --disable-warning=ExperimentalWarning "$here/run.mjs" --preopen "/host=$tmp/host" \
  "$tmp/sd.wasm" x > "$tmp/stdout" 2> "$tmp/stderr"
status=$?
[ "$status" -eq 1 ] && bad "a good SUBDIR fails at start: $(head -n 1 "$tmp/stderr")"
grep -qF "cannot mount" "$tmp/stderr" && bad "a good SUBDIR fails at start: $(head -n 1 "$tmp/stderr")"

echo "$((cases - failures)) of $cases error cases behave"
[ "$failures" -eq 0 ]
