#!/usr/bin/env bash
# Inherited stdio is the host's descriptor, whatever it is (issue 10, item 2): the same
# program (progs/stdio.c: isatty, fd_fdstat_get and fd_filestat_get of fd 0, 1 and 2,
# reported on stderr) run directly on Node 26 and through `membrane virt --stdin
# inherit` must report the same, with stdout into a file, stdout into a pipe, stdin from
# a pipe, and (when util-linux `script` is there) everything on a terminal. A file or a
# pipe must not look like a terminal: before the fix wasi-virt reported a character
# device without seek rights for every inherited stream, so isatty() was always true.
#
# usage: stdio.sh MEMBRANE NODE STDIO.wasm
set -euo pipefail
membrane=$1 node=$2 prog=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$membrane" virt "$prog" -o "$tmp/virt.wasm" --stdin inherit 2>/dev/null
run=("$node" --disable-warning=ExperimentalWarning "$here/run.mjs")

# case NAME: runs both ways through the shell function in_NAME (WASM REPORT), compares
case_() {
  local name=$1 w
  for w in direct virt; do
    local wasm=$prog
    [ $w = virt ] && wasm=$tmp/virt.wasm
    "in_$name" "$wasm" "$tmp/$name.$w.report" "$tmp/$name.$w.out"
    grep -q '^fd 2:' "$tmp/$name.$w.report" || fail "$name ($w): no report"
    [ "$(cat "$tmp/$name.$w.out")" = "to stdout" ] || fail "$name ($w): stdout got '$(cat "$tmp/$name.$w.out")'"
  done
  if ! diff -u "$tmp/$name.direct.report" "$tmp/$name.virt.report" >&2; then
    fail "$name: wasi-virt reports stdio differently from the direct run"
  fi
  echo "$name: same ($(grep '^fd 0:' "$tmp/$name.virt.report" | cut -d' ' -f3-4), $(grep '^fd 1:' "$tmp/$name.virt.report" | cut -d' ' -f3-4))"
}
report() { grep '^fd ' "$1" > "$1.tmp" || true; mv "$1.tmp" "$1"; }

in_file() { "${run[@]}" "$1" < /dev/null > "$3" 2> "$2"; report "$2"; }
in_pipe() { "${run[@]}" "$1" < /dev/null 2> "$2" | cat > "$3"; report "$2"; }
in_stdin_pipe() { echo "input" | "${run[@]}" "$1" > "$3" 2> "$2"; report "$2"; }
in_stdin_file() { "${run[@]}" "$1" < "$tmp/input.txt" > "$3" 2> "$2"; report "$2"; }
in_tty() {
  script -qec "$(printf '%q ' "${run[@]}" "$1") 2>$(printf '%q' "$2")" /dev/null < /dev/null |
    tr -d '\r' > "$3"
  report "$2"
}

case_ file
grep -q '^fd 1: isatty 0 fdstat 0 filetype 4 ' "$tmp/file.virt.report" ||
  fail "stdout into a file is not reported as a regular file: $(grep '^fd 1:' "$tmp/file.virt.report")"
case_ pipe
grep '^fd 1:' "$tmp/pipe.virt.report" | grep -q '^fd 1: isatty 0 ' || fail "a pipe on stdout looks like a terminal"
grep '^fd 1:' "$tmp/pipe.virt.report" | grep -vq ' filetype 2 ' || fail "a pipe on stdout is a character device"
case_ stdin_pipe
grep '^fd 0:' "$tmp/stdin_pipe.virt.report" | grep -q '^fd 0: isatty 0 ' || fail "a pipe on stdin looks like a terminal"
# stdin from a file: a regular file, its size, its position, and it seeks
printf 'first line\nsecond\n' > "$tmp/input.txt"
case_ stdin_file
grep -q "^fd 0: isatty 0 fdstat 0 filetype 4 .* size 18 tell 0 0\$" "$tmp/stdin_file.virt.report" ||
  fail "stdin from a file: not its size and position: $(grep '^fd 0:' "$tmp/stdin_file.virt.report")"
grep -qF "fd 0 seek 6 then read: 0 at 6 'line|second|'" "$tmp/stdin_file.virt.report" ||
  fail "stdin from a file does not seek: $(grep '^fd 0 seek' "$tmp/stdin_file.virt.report")"
if command -v script > /dev/null; then
  case_ tty
  grep -q '^fd 1: isatty 1 ' "$tmp/tty.virt.report" || fail "a terminal on stdout is not a terminal"
else
  echo "tty: skipped (no util-linux script)"
fi

# --stdin null (the default) is /dev/null: a character device, but no terminal, even when
# the host's stdin is one (the rights differ from Node's: wasi-virt's null stream only
# reads, and seeks to 0)
"$membrane" virt "$prog" -o "$tmp/null.wasm" 2>/dev/null
in_file "$prog" "$tmp/devnull.report" "$tmp/devnull.out"
if command -v script > /dev/null; then
  in_tty "$tmp/null.wasm" "$tmp/null.report" "$tmp/null.out"
else
  in_file "$tmp/null.wasm" "$tmp/null.report" "$tmp/null.out"
fi
want=$(grep '^fd 0:' "$tmp/devnull.report" | cut -d' ' -f1-8)
got=$(grep '^fd 0:' "$tmp/null.report" | cut -d' ' -f1-8)
[ "$want" = "fd 0: isatty 0 fdstat 0 filetype 2" ] || fail "direct, stdin from /dev/null: $want"
[ "$got" = "$want" ] || fail "--stdin null reports '$got', /dev/null directly '$want'"
echo "stdin null: same as /dev/null ($got)"
