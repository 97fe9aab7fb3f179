#!/usr/bin/env bash
# --save GUEST=DEST (issue 14): progs/save.c writes files, a subdirectory, an empty
# directory and a symlink into --mem /out (and, over an --embed, changes one embedded
# file and deletes another); at exit wasi-virt copies /out onto the :rw mount, and the
# host then has exactly that tree (names, types, sizes, contents, symlink texts, and the
# mtimes the program saw, in whole seconds: Node sets no finer ones). Each case runs on
# Node 26:
#   return, exit0          the program returns from main / calls exit(0): saved, status 0
#   cow                    --embed /out + --mem /out: the copy-on-write view is saved
#   exit7                  exit(7): saved, status 7 kept
#   trap                   a trap: nothing saved
#   replace                DEST exists as a directory: replaced whole, nothing old left
#   json                   the same through {"save": [...]} in a policy file
#   two                    --save given twice
#   export                 --export save._start: the exported _start still saves
#   dest-file              DEST exists as a file: exit 74, one line on stderr, the file as
#                          it was, no temporary tree left
#   dest-file-exit7        the same with exit(7): status 7 kept, the line still printed
#   dest-symlink           DEST is a symlink to a directory: not followed, refused as a file
#   no-parent              DEST's directory is missing: 74 and the line
#   midway                 a symlink with an absolute text (from the --embed) cannot be
#                          made on the mount: the copy fails halfway, 74, the line names
#                          the file, DEST keeps its old contents, the half tree is gone
#
# usage: save.sh MEMBRANE NODE VALIDATE SAVE.wasm [SINGLE_NODE]
#   SINGLE_NODE: every output built with --memory single, validated without multi-memory,
#   run on SINGLE_NODE (Node 20: no multi-memory) instead of NODE
set -uo pipefail
membrane=$1 node=$2 validate=$3 prog=$4
single_opts=() vflags=(--enable-multi-memory)
if [ -n "${5:-}" ]; then node=$5 single_opts=(--memory single) vflags=(); fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/virt-save.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0 cases=0 case=
bad() {
  failures=$((failures + 1))
  printf 'FAIL %s: %s\n' "$case" "$*"
}

# The tree under DIR, one line per entry: path, type, size (files), sha1 or link text.
tree() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
    if [ -L "$p" ]; then printf '%s link %s\n' "${p#./}" "$(readlink "$p")"
    elif [ -d "$p" ]; then printf '%s dir\n' "${p#./}"
    else printf '%s file %s %s\n' "${p#./}" "$(stat -c %s "$p")" "$(sha1sum < "$p" | cut -c1-12)"
    fi
  done)
}
sha() { printf '%s' "$1" | sha1sum | cut -c1-12; }
big=$(python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(70000)))' | sha1sum | cut -c1-12)
base_tree="a.txt file 6 $(sha 'alpha
')
empty dir
link link sub/b.txt
sub dir
sub/b.txt file 6 $(sha 'bravo
')
sub/deeper dir
sub/deeper/c.bin file 70000 $big"

mkdir -p "$tmp/emb"
printf 'keep\n' > "$tmp/emb/keep.txt"
printf 'gone\n' > "$tmp/emb/gone.txt"
printf 'orig\n' > "$tmp/emb/changed.txt"
cow_tree="a.txt file 6 $(sha 'alpha
')
changed.txt file 13 $(sha 'orig
changed
')
empty dir
keep.txt file 5 $(sha 'keep
')
link link sub/b.txt
sub dir
sub/b.txt file 6 $(sha 'bravo
')
sub/deeper dir
sub/deeper/c.bin file 70000 $big"
# the --embed of the midway case: a symlink with an absolute text, last in the listing
mkdir -p "$tmp/embabs"
printf 'keep\n' > "$tmp/embabs/keep.txt"
ln -s /etc/passwd "$tmp/embabs/zz-abs"

clock=1700000000 # --clock fixed:1700000000000000000: what the program's files get as mtime

# run CASE 'how [cow]' [virt options...]: build, validate, run with /host preopened at
# $tmp/host (fresh, with res/ in it), stdout/stderr/status kept
run() {
  case=$1
  cases=$((cases + 1))
  local args=$2
  shift 2
  rm -rf "$tmp/host" && mkdir -p "$tmp/host/res"
  [ -n "${prepare:-}" ] && eval "$prepare"
  local vargs=()
  for a in $args; do vargs+=(--arg "$a"); done
  "$membrane" virt "$prog" -o "$tmp/out.wasm" --clock "fixed:${clock}000000000" \
    --mount /res=/host/res:rw "${vargs[@]}" "$@" "${single_opts[@]}" 2> "$tmp/build.err" ||
    { bad "membrane virt failed: $(cat "$tmp/build.err")"; return 1; }
  "$validate" "${vflags[@]}" "$tmp/out.wasm" || bad "the output does not validate"
  "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" --preopen "/host=$tmp/host" \
    "$tmp/out.wasm" > "$tmp/stdout" 2> "$tmp/stderr"
  status=$?
  return 0
}
expect_status() { [ "$status" -eq "$1" ] || bad "exit status $status, expected $1; stderr: $(head -c 800 "$tmp/stderr")"; }
expect_tree() { # DIR 'tree'
  local got
  got=$(tree "$1")
  [ "$got" = "$2" ] || bad "the tree at ${1#$tmp/} differs:
$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$got"))"
}
expect_mtime() { # FILE SECONDS
  local got
  got=$(stat -c %Y "$1")
  [ "$got" = "$2" ] || bad "mtime of ${1#$tmp/} is $got, expected $2"
}
expect_stderr() { # exactly these lines
  [ "$(cat "$tmp/stderr")" = "$1" ] || bad "stderr: '$(head -c 800 "$tmp/stderr")', expected '$1'"
}
no_side_trees() {
  local left
  left=$(find "$tmp/host" -name '*.membrane-save-*' -o -name '*.membrane-old-*')
  [ -z "$left" ] || bad "temporary trees left: $left"
}

for how in return exit0; do
  run "$how" "$how" --mem /out --save /out=/res/out
  expect_status 0
  expect_tree "$tmp/host/res/out" "$base_tree"
  expect_mtime "$tmp/host/res/out/sub/b.txt" 1600000000 # set by the program (utimensat)
  expect_mtime "$tmp/host/res/out/a.txt" "$clock"       # the fixed clock's
  expect_mtime "$tmp/host/res/out/sub/deeper" "$clock"  # a directory's, set after its entries
  [ -s "$tmp/stderr" ] && bad "stderr: $(cat "$tmp/stderr")"
  no_side_trees
done

run cow "exit0 cow" --embed "/out=$tmp/emb" --mem /out --save /out=/res/out
expect_status 0
expect_tree "$tmp/host/res/out" "$cow_tree"
[ "$(cat "$tmp/emb/changed.txt")" = orig ] && [ -e "$tmp/emb/gone.txt" ] || bad "the embedded host files changed"

run exit7 "exit7" --mem /out --save /out=/res/out
expect_status 7
expect_tree "$tmp/host/res/out" "$base_tree"

run trap "trap" --mem /out --save /out=/res/out
[ "$status" -ne 0 ] || bad "a trap exited 0"
grep -qF "unreachable" "$tmp/stderr" || bad "no trap on stderr: $(head -c 400 "$tmp/stderr")"
[ -z "$(ls -A "$tmp/host/res")" ] || bad "a trapped run saved: $(ls -A "$tmp/host/res")"

prepare='mkdir -p "$tmp/host/res/out/old/deeper"; echo stale > "$tmp/host/res/out/stale.txt"; echo x > "$tmp/host/res/out/old/deeper/f"'
run replace "return" --mem /out --save /out=/res/out
prepare=
expect_status 0
expect_tree "$tmp/host/res/out" "$base_tree"
[ "$(ls -A "$tmp/host/res")" = out ] || bad "left beside DEST: $(ls -A "$tmp/host/res")"

printf '{"mem": "/out", "save": ["/out=/res/out"]}\n' > "$tmp/policy.json"
run json "return" --policy "$tmp/policy.json"
expect_status 0
expect_tree "$tmp/host/res/out" "$base_tree"

run two "return" --mem /out --save /out=/res/out --save /out/sub=/res/sub
expect_status 0
expect_tree "$tmp/host/res/out" "$base_tree"
expect_tree "$tmp/host/res/sub" "b.txt file 6 $(sha 'bravo
')
deeper dir
deeper/c.bin file 70000 $big"

run export "exit0" --mem /out --save /out=/res/out --export save._start
expect_status 0
expect_tree "$tmp/host/res/out" "$base_tree"

line_file='membrane wasi-virt: --save /out=/res/out: /res/out exists and is not a directory; nothing saved, /res/out is as it was'
prepare='echo precious > "$tmp/host/res/out"'
run dest-file "return" --mem /out --save /out=/res/out
expect_status 74
expect_stderr "$line_file"
[ "$(cat "$tmp/host/res/out")" = precious ] || bad "DEST changed"
no_side_trees
run dest-file-exit7 "exit7" --mem /out --save /out=/res/out
prepare=
expect_status 7
expect_stderr "$line_file"
[ "$(cat "$tmp/host/res/out")" = precious ] || bad "DEST changed"
no_side_trees

prepare='mkdir "$tmp/host/res/real"; ln -s real "$tmp/host/res/out"'
run dest-symlink "return" --mem /out --save /out=/res/out
prepare=
expect_status 74
expect_stderr "$line_file"
[ "$(readlink "$tmp/host/res/out")" = real ] && [ -z "$(ls -A "$tmp/host/res/real")" ] ||
  bad "the symlink at DEST or its target changed"
no_side_trees

run no-parent "return" --mem /out --save /out=/res/nodir/out
expect_status 74
expect_stderr 'membrane wasi-virt: --save /out=/res/nodir/out: cannot open DEST'"'"'s directory /res/nodir: noent; nothing saved, /res/nodir/out is as it was'
[ -z "$(ls -A "$tmp/host/res")" ] || bad "left: $(ls -A "$tmp/host/res")"

prepare='mkdir -p "$tmp/host/res/out"; echo old > "$tmp/host/res/out/old.txt"'
run midway "return" --embed "/out=$tmp/embabs" --mem /out --save /out=/res/out
prepare=
expect_status 74
expect_stderr 'membrane wasi-virt: --save /out=/res/out: cannot copy the symlink /out/zz-abs to /res/.out.membrane-save-1/zz-abs: notcapable; nothing saved, /res/out is as it was'
expect_tree "$tmp/host/res/out" "old.txt file 4 $(sha 'old
')"
no_side_trees

echo "$((cases - failures)) of $cases save cases behave"
[ "$failures" -eq 0 ]
