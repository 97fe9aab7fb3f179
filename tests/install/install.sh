#!/usr/bin/env bash
# install.sh — `meson install` as an embedder meets it: install the build into a scratch
# DESTDIR, build tests/install/embed.c against that tree with nothing but
# `pkg-config --cflags --libs membrane`, run it on two modules, check what it wrote, and
# check the rest of the install (tool, man page, headers, libraries). No root needed;
# the scratch directory is removed on every exit.
#
# usage: install.sh BUILDDIR "CC [ARGS]" "EXTRA_CFLAGS" WASM_VALIDATE NODE|'' WASI_RUN.mjs
#                   EMBED.c APP.wasm MATHLIB.wasm
#   EXTRA_CFLAGS: what the build's libraries need of any program linking them that
#   pkg-config cannot know (the sanitizers of build-asan, -fsanitize=fuzzer-no-link)
#   NODE: Node 26, to run the fused output; '' skips that step
set -euo pipefail

[ $# -eq 9 ] || { echo "usage: install.sh BUILDDIR CC CFLAGS WASM_VALIDATE NODE WASI_RUN EMBED.c APP MATHLIB" >&2; exit 2; }
build=$1 cc=$2 extra_cflags=$3 wasm_validate=$4 node=$5 wasi_run=$6 embed_c=$7 app=$8 mathlib=$9

tmp=$(mktemp -d "${TMPDIR:-/tmp}/membrane-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

fail() { printf 'install.sh: FAIL: %s\n' "$*" >&2; exit 1; }

# --no-rebuild: meson test has built everything; a rebuild from inside a test would race
# the other tests for the build dir.
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install --destdir failed"; }

mapfile -t pcs < <(find "$dest" -name membrane.pc)
[ "${#pcs[@]}" -eq 1 ] || fail "expected one membrane.pc under DESTDIR, found ${#pcs[@]}"
pcdir=$(dirname "${pcs[0]}")

# The .pc says the configured prefix (/usr/local by default); the files are under DESTDIR
# until packaged, and PKG_CONFIG_SYSROOT_DIR is pkg-config's way to point there.
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs membrane) || fail "pkg-config --cflags --libs membrane"
echo "pkg-config: $flags"
# (pkgconf puts the sysroot in front of the flags' paths and of --variable's answers;
# other pkg-configs leave variables be.)
var() { local v; v=$(pkg-config --variable="$1" membrane); case "$v" in "$dest"/*) echo "$v" ;; *) echo "$dest$v" ;; esac; }
prefix=$(var prefix) includedir=$(var includedir) libdir=$(var libdir)
src_root=$(cd "$(dirname "$embed_c")/../.." && pwd)
case "$flags" in
  *"$src_root"*) fail "pkg-config flags point into the source tree: $flags" ;;
esac

# Every public header and library, and nothing private.
public=(membrane_alloc.h membrane_wasm.h membrane_wasm_ext.h membrane_wasm_emit.h membrane_wit.h membrane_link.h membrane_virt.h
        membrane_glue_abi.h membrane_wasi_virt.h)
for h in "${public[@]}"; do
  [ -f "$includedir/membrane/$h" ] || fail "header $h not installed in $includedir/membrane"
done
for f in "$includedir"/membrane/*; do
  case " ${public[*]} " in
    *" ${f##*/} "*) ;;
    *) fail "not a public header, installed: ${f##*/}" ;;
  esac
done
for l in mb_wasm mb_wit mb_linker mb_virt mb_wasi_virt mb_wasi_virt_compose; do
  [ -f "$libdir/lib$l.a" ] || fail "lib$l.a not installed in $libdir"
done

# The embedder: its own copy, so no header beside it in the source tree can be found.
cp "$embed_c" "$tmp/embed.c"
# shellcheck disable=SC2086 # cc, extra_cflags and flags are word lists
$cc $extra_cflags -std=c11 -Wall -Wextra -Werror "$tmp/embed.c" $flags -o "$tmp/embed" \
  >"$tmp/cc.log" 2>&1 || { cat "$tmp/cc.log" >&2; fail "embed.c does not build against the installed tree"; }
"$tmp/embed" "$app" "$mathlib" "$tmp/out.wasm" | tee "$tmp/embed.out" ||
  fail "embed exited with status ${PIPESTATUS[0]}"
grep -qx 'result: ok' "$tmp/embed.out" || fail "embed did not print 'result: ok'"

"$wasm_validate" --enable-multi-memory "$tmp/out.wasm" || fail "the embedder's output does not validate"
echo "validate: ok"
if [ -n "$node" ]; then
  "$node" --disable-warning=ExperimentalWarning "$wasi_run" "$tmp/out.wasm" >"$tmp/run.out" ||
    fail "the embedder's output failed on Node"
  grep -qx 'fib(90) = 2880067194370816120' "$tmp/run.out" || { cat "$tmp/run.out" >&2; fail "unexpected output on Node"; }
  echo "run: ok"
fi

# The installed tool and its man page: one section per command the tool lists.
"$prefix/bin/membrane" --version | grep -q '^membrane ' || fail "installed membrane does not run"
man1=$prefix/share/man/man1/membrane.1
[ -f "$man1" ] || fail "membrane.1 not installed in share/man/man1"
mapfile -t cmds < <("$prefix/bin/membrane" --help | sed -n '/^commands:/,$s/^  \([a-z-]*\)  .*/\1/p')
[ "${#cmds[@]}" -ge 5 ] || fail "membrane --help lists ${#cmds[@]} commands"
for c in "${cmds[@]}"; do
  grep -qxF ".SS \"membrane ${c//-/\\-}\"" "$man1" || fail "membrane.1 has no section for '$c'"
done
# groff -ww: every warning; the page must render without one.
if ! groff -man -Tutf8 -ww -z "$man1" 2>"$tmp/groff.err" || [ -s "$tmp/groff.err" ]; then
  cat "$tmp/groff.err" >&2
  fail "membrane.1 does not render cleanly"
fi
echo "man: ok (${#cmds[@]} commands)"
