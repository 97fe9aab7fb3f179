#!/usr/bin/env bash
# What a composed output asks of the host. A fully virtual policy (embed + mem, fixed
# clock, seeded random, stdout inherit) imports at most fd_write, proc_exit and, for a
# program that can ask (it imports fd_fdstat_get: wasi-libc's isatty at the first
# printf; fd_filestat_get, fd_seek, fd_tell), the same calls on the inherited stdout,
# which must give the host's answers (it may be a file the host redirected); with
# stdout and stderr null, only proc_exit. A :ro mount adds only reading calls; fd_sync
# and fd_datasync come with a :rw mount (or inherited stdio) for a program that imports
# them, never with a :ro mount. The exported memory is wasi-virt's, never the app's (the
# app is instance 0, so its memory is memory 0); and the wasi-virt module of a fully
# virtual output is under 40 KB.
#
# usage: imports.sh MEMBRANE PROG.wasm DATA_DIR NOHOST_WASI_VIRT.wasm SYNC_PROG.wasm
#   PROG imports fd_fdstat_get and not fd_sync; SYNC_PROG imports fd_sync and fd_datasync
set -euo pipefail
membrane=$1 prog=$2 data=$3 nohost=$4 sync_prog=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

imports() { "$membrane" inspect --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(i["module"] + "." + i["field"] for i in d["imports"])))
mem = [e["index"] for e in d["exports"] if e["kind"] == "memory"]
print(" ".join(map(str, mem)))'; }

"$membrane" virt "$prog" -o "$tmp/virtual.wasm" --embed "/data=$data" --mem /data --mem /tmp:64K \
  --clock fixed:1000000000 --random seed:42 --stdout inherit --stderr null
{ read -r imps; read -r mems; } < <(imports "$tmp/virtual.wasm")
for i in $imps; do
  case $i in
    wasi_snapshot_preview1.fd_write | wasi_snapshot_preview1.proc_exit) ;;
    wasi_snapshot_preview1.fd_fdstat_get | wasi_snapshot_preview1.fd_filestat_get) ;;
    wasi_snapshot_preview1.fd_seek | wasi_snapshot_preview1.fd_tell) ;;
    *) fail "a fully virtual output imports $i" ;;
  esac
done
[ "$mems" != "" ] && [ "$mems" != 0 ] || fail "exported memory is '$mems', not wasi-virt's"
echo "fully virtual: imports $imps; exports memory $mems (wasi-virt's)"

"$membrane" virt "$prog" -o "$tmp/silent.wasm" --embed "/data=$data" --mem /data \
  --clock fixed:1000000000 --random seed:42 --stdout null --stderr null
{ read -r imps; read -r mems; } < <(imports "$tmp/silent.wasm")
[ "$imps" = wasi_snapshot_preview1.proc_exit ] || fail "fully virtual, no stdio: imports '$imps'"
echo "fully virtual, stdout and stderr null: imports $imps"

has() { case " $1 " in *" wasi_snapshot_preview1.$2 "*) return 0 ;; *) return 1 ;; esac; }
"$membrane" virt "$sync_prog" -o "$tmp/sync-ro.wasm" --mount /data=/host:ro --stdout null --stderr null
{ read -r imps; read -r mems; } < <(imports "$tmp/sync-ro.wasm")
! has "$imps" fd_sync && ! has "$imps" fd_datasync || fail "a :ro mount imports the host's fsync"
"$membrane" virt "$sync_prog" -o "$tmp/sync-rw.wasm" --mount /data=/host:rw --stdout null --stderr null
{ read -r imps; read -r mems; } < <(imports "$tmp/sync-rw.wasm")
has "$imps" fd_sync && has "$imps" fd_datasync || fail "a :rw mount does not import the host's fsync"
"$membrane" virt "$prog" -o "$tmp/nosync-rw.wasm" --mount /data=/host:rw
{ read -r imps; read -r mems; } < <(imports "$tmp/nosync-rw.wasm")
! has "$imps" fd_sync && ! has "$imps" fd_datasync || fail "fsync imported for a program that never syncs"
echo "fd_sync/fd_datasync: imported for a :rw mount of a program that syncs, not otherwise"

"$membrane" virt "$prog" -o "$tmp/ro.wasm" --mount /data=/host:ro
{ read -r imps; read -r mems; } < <(imports "$tmp/ro.wasm")
for i in $imps; do
  case ${i#wasi_snapshot_preview1.} in
    fd_write | proc_exit | fd_fdstat_get | fd_prestat_get | fd_prestat_dir_name | path_open | fd_close | \
    fd_filestat_get | path_filestat_get | path_readlink | fd_pread | fd_read | fd_seek | fd_readdir) ;;
    *) fail "an output with only a :ro mount imports $i" ;;
  esac
done
echo ":ro mount: $(echo "$imps" | wc -w) imports, all for reading"

"$membrane" virt "$prog" -o "$tmp/real.wasm" --clock real --random real --env-inherit --args-inherit
{ read -r imps; read -r mems; } < <(imports "$tmp/real.wasm")
for want in clock_time_get random_get environ_get args_get; do
  case " $imps " in *" wasi_snapshot_preview1.$want "*) ;; *) fail "passthrough output lacks $want" ;; esac
done
echo "passthrough: $(echo "$imps" | wc -w) imports"

size=$(stat -c %s "$nohost")
[ "$size" -lt 40960 ] || fail "wasi-virt for fully virtual outputs is $size bytes (goal < 40 KB)"
echo "wasi-virt (no host mounts): $size bytes"
