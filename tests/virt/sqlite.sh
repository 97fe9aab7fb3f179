#!/usr/bin/env bash
# The SQLite shell (built from the amalgamation of npm's sqlite3 package, see meson.build)
# as a user runs it, on Node 26 directly and through wasi-virt. Two cases:
#
#   script  a generated SQL script (4,000 rows in 40 transactions, 40 transactions of
#           updates, 200 autocommit updates, deletes, a rollback, a constraint error,
#           VACUUM, aggregates) fed on stdin, run three ways:
#             direct  preopen /data = a fresh host directory;
#             mount   `membrane virt --mount /data=/host/tree:rw --stdin inherit`;
#             mem     `membrane virt --mem /data --stdin inherit` (empty, in memory).
#           Same stdout, stderr and exit status; direct and mount leave byte-identical
#           databases (and nothing else) on the host; the fsyncs SQLite makes in the
#           direct run reach the host through the mount too (run.mjs --count-calls).
#           -batch keeps the shell's terminal detection out of this case.
#   embed   the same script over an existing database embedded with --embed + --mem
#           (copy-on-write in memory), against a direct run on a copy of it.
#   pipe    a short script on a pipe, without -batch: the shell must see a pipe, not a
#           terminal (no banner, no "sqlite> " prompts), through --mem and --mount
#           exactly as directly.
#
# usage: sqlite.sh MEMBRANE NODE WASM_VALIDATE SQLITE.wasm script|embed|pipe [SINGLE_NODE]
#   SINGLE_NODE: the wasi-virt outputs are built with --memory single, validated without
#   multi-memory and run on SINGLE_NODE (Node 20: no multi-memory); direct runs stay on NODE.
# (KEEP_TMP=1 in the environment keeps the scratch directory and prints its name.)
set -euo pipefail
membrane=$1 node=$2 validate=$3 sqlite=$4 case=$5 single_node=${6:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
[ -n "${KEEP_TMP:-}" ] && echo "tmp: $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL (sqlite $case): $*" >&2; exit 1; }

# The guest's stderr is compared too: Node's own warning about WASI is not the guest's.
nodew=("$node" --disable-warning=ExperimentalWarning "$here/run.mjs")
# the wasi-virt outputs: on SINGLE_NODE when given
nodev=("${single_node:-$node}" --disable-warning=ExperimentalWarning "$here/run.mjs")
single_opts=() vflags=(--enable-multi-memory)
if [ -n "$single_node" ]; then single_opts=(--memory single) vflags=(); fi

run() { # run NAME STDIN CMD... : stdout to NAME.out, stderr to NAME.err, exit status echoed
  local out=$1 in=$2 rc=0
  shift 2
  "$@" <"$in" >"$tmp/$out.out" 2>"$tmp/$out.err" || rc=$?
  echo "$rc"
}

same() { # same A B: A and B printed the same and exited the same
  local f
  for f in out err; do
    if ! cmp -s "$tmp/$1.$f" "$tmp/$2.$f"; then
      diff -u "$tmp/$1.$f" "$tmp/$2.$f" | head -40 >&2 || true
      fail "std$f of ($2) differs from ($1)"
    fi
  done
}

virt() { # virt NAME OPTS...: membrane virt the shell into NAME.wasm, validated
  local out=$tmp/$1.wasm
  shift
  "$membrane" virt "$sqlite" -o "$out" "$@" "${single_opts[@]}"
  "$validate" "${vflags[@]}" "$out" || fail "$out does not validate"
}

sync_count() { # sync_count CALLS.json: host fd_sync + fd_datasync calls
  "$node" -e '
    const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log((c.fd_sync ?? 0) + (c.fd_datasync ?? 0));' "$1"
}

"$validate" --enable-multi-memory "$sqlite" || fail "$sqlite does not validate"

rows=4000 batch=100
gen_script() {
  awk -v rows=$rows -v batch=$batch 'BEGIN {
    q = sprintf("%c", 39)
    print "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    print "                  qty INTEGER NOT NULL, price REAL, tag TEXT);"
    print "CREATE INDEX item_tag ON item(tag);"
    print "CREATE TABLE movement(id INTEGER PRIMARY KEY, item INTEGER, delta INTEGER);"
    for (i = 1; i <= rows; i++) {
      if ((i - 1) % batch == 0) print "BEGIN;"
      printf "INSERT INTO item VALUES(%d, %sitem-%05d%s, %d, %d.%02d, %st%d%s);\n",
             i, q, i, q, i % 97, i % 1000, i % 100, q, i % 13, q
      if (i % batch == 0) print "COMMIT;"
    }
    for (b = 0; b < 40; b++) {
      print "BEGIN;"
      printf "UPDATE item SET qty = qty + %d WHERE id %% 40 = %d;\n", b + 1, b
      printf "INSERT INTO movement(item, delta) SELECT id, %d FROM item WHERE id %% 40 = %d;\n", b + 1, b
      print "COMMIT;"
    }
    for (i = 1; i <= 200; i++) printf "UPDATE item SET price = price * 2 WHERE id = %d;\n", i * 19
    print "BEGIN;"
    print "DELETE FROM item WHERE id % 7 = 0;"
    print "DELETE FROM movement WHERE item % 7 = 0;"
    print "COMMIT;"
    print "BEGIN;"
    print "DELETE FROM item;"
    print "ROLLBACK;"
    printf "INSERT INTO item(id, name, qty) VALUES(5000, %sitem-00001%s, 0);\n", q, q
    print "VACUUM;"
    print "SELECT count(*), sum(qty), total(price), min(name), max(name) FROM item;"
    print "SELECT count(*), sum(delta) FROM movement;"
    print "SELECT tag, count(*), sum(qty), printf(\"%.2f\", avg(price)) FROM item GROUP BY tag ORDER BY tag;"
    print ".headers on"
    print ".mode column"
    print "SELECT i.tag, sum(m.delta) AS moved FROM item i JOIN movement m ON m.item = i.id"
    print "  GROUP BY i.tag ORDER BY moved DESC, i.tag LIMIT 5;"
    print "SELECT id, name, qty, price FROM item ORDER BY price DESC, id LIMIT 10;"
    print ".mode list"
    print ".headers off"
    print "PRAGMA integrity_check;"
    print "PRAGMA page_count;"
  }'
}

case "$case" in
script)
  gen_script >"$tmp/script.sql"
  args=(-batch /data/test.db)

  # direct
  mkdir -p "$tmp/direct"
  start=$(date +%s%N)
  rc_direct=$(run direct "$tmp/script.sql" "${nodew[@]}" --count-calls "$tmp/direct.calls" \
    --preopen "/data=$tmp/direct" --argv0 sqlite3 "$sqlite" "${args[@]}")
  t_direct=$(( ($(date +%s%N) - start) / 1000000 ))

  # mount: a :rw host mount confined to tree/ below the host's preopen
  mkdir -p "$tmp/mount/tree"
  echo "outside the mount" >"$tmp/mount/outside.txt"
  virt mount --mount /data=/host/tree:rw --stdin inherit --arg "${args[0]}" --arg "${args[1]}"
  start=$(date +%s%N)
  rc_mount=$(run mount "$tmp/script.sql" "${nodev[@]}" --count-calls "$tmp/mount.calls" \
    --preopen "/host=$tmp/mount" "$tmp/mount.wasm")
  t_mount=$(( ($(date +%s%N) - start) / 1000000 ))

  # mem: an empty in-memory tree
  virt mem --mem /data --stdin inherit --arg "${args[0]}" --arg "${args[1]}"
  start=$(date +%s%N)
  rc_mem=$(run mem "$tmp/script.sql" "${nodev[@]}" "$tmp/mem.wasm")
  t_mem=$(( ($(date +%s%N) - start) / 1000000 ))

  # The direct run is the reference, so first check it did the work: counts computed
  # here independently (every 7th id deleted; each item got exactly one movement), the
  # one deliberate constraint error, the exit status a script with an error gives.
  kept=$(( rows - rows / 7 ))
  grep -qx "$kept|.*|item-00001|item-0$rows" "$tmp/direct.out" ||
    fail "direct run: no '$kept|...|item-00001|item-0$rows' line (items left)"
  grep -qx "$kept|[0-9]*" "$tmp/direct.out" || fail "direct run: movement count is not $kept"
  grep -qx "ok" "$tmp/direct.out" || fail "direct run: integrity_check did not print ok"
  [ "$(grep -c 'UNIQUE constraint failed: item.name' "$tmp/direct.err")" = 1 ] || {
    cat "$tmp/direct.err" >&2; fail "direct run: expected exactly one UNIQUE constraint error"; }
  [ "$rc_direct" = 1 ] || { cat "$tmp/direct.err" >&2; fail "direct run exited $rc_direct, not 1"; }

  for v in mount mem; do
    same direct $v
    rc_v=rc_$v
    [ "${!rc_v}" = "$rc_direct" ] || fail "($v) exited ${!rc_v}, direct $rc_direct"
  done

  # The same database bytes on the host (SQLite's header holds a change counter and the
  # library version, nothing from the clock or the random source), and nothing else:
  # no journal or lock directory left behind.
  cmp "$tmp/direct/test.db" "$tmp/mount/tree/test.db" || fail "(mount) left other database bytes"
  [ "$(ls -A "$tmp/direct")" = test.db ] || fail "direct run left $(ls -A "$tmp/direct")"
  [ "$(ls -A "$tmp/mount/tree")" = test.db ] || fail "(mount) left $(ls -A "$tmp/mount/tree")"
  [ "$(cat "$tmp/mount/outside.txt")" = "outside the mount" ] || fail "(mount) changed a file outside the mount"
  [ "$(ls -A "$tmp/mount")" = "$(printf 'outside.txt\ntree')" ] || fail "(mount) created files outside the mount"

  # Durability: every fsync SQLite makes directly must reach the host through the mount.
  s_direct=$(sync_count "$tmp/direct.calls")
  s_mount=$(sync_count "$tmp/mount.calls")
  [ "$s_direct" -gt 0 ] || fail "the direct run made no fd_sync/fd_datasync at all"
  [ "$s_mount" -ge "$s_direct" ] ||
    fail "host fd_sync+fd_datasync through the mount: $s_mount, direct: $s_direct"
  echo "ok: $rows rows, $(wc -l <"$tmp/script.sql") lines of SQL, exit $rc_direct," \
       "$(wc -c <"$tmp/direct/test.db") database bytes identical, host syncs direct $s_direct" \
       "mount $s_mount; direct ${t_direct} ms, --mount ${t_mount} ms, --mem ${t_mem} ms"
  ;;

embed)
  # An existing database (made here by the shell itself) embedded read-only with an
  # in-memory copy-on-write layer over it: the script rewrites it page by page
  # (and VACUUM all of it) in memory, against a direct run on a host copy.
  mkdir -p "$tmp/seed" "$tmp/direct"
  printf '%s\n' "CREATE TABLE seed(k INTEGER PRIMARY KEY, v TEXT);" "BEGIN;" >"$tmp/seed.sql"
  for i in $(seq 1 500); do echo "INSERT INTO seed VALUES($i, 'seed row $i');"; done >>"$tmp/seed.sql"
  echo "COMMIT;" >>"$tmp/seed.sql"
  rc_seed=$(run seed "$tmp/seed.sql" "${nodew[@]}" --preopen "/data=$tmp/seed" --argv0 sqlite3 \
    "$sqlite" -batch /data/test.db)
  [ "$rc_seed" = 0 ] && [ -s "$tmp/seed/test.db" ] || { cat "$tmp/seed.err" >&2; fail "making the seed database"; }
  { gen_script; echo "SELECT count(*), sum(length(v)) FROM seed;"; } >"$tmp/script.sql"
  cp "$tmp/seed/test.db" "$tmp/direct/test.db"
  rc_direct=$(run direct "$tmp/script.sql" "${nodew[@]}" --preopen "/data=$tmp/direct" \
    --argv0 sqlite3 "$sqlite" -batch /data/test.db)
  grep -qx "500|5892" "$tmp/direct.out" || fail "direct run: the seed table is not 500 rows, 5892 bytes"
  virt embed --embed "/data=$tmp/seed" --mem /data --stdin inherit --arg -batch --arg /data/test.db
  rc_embed=$(run embed "$tmp/script.sql" "${nodev[@]}" "$tmp/embed.wasm")
  same direct embed
  [ "$rc_embed" = "$rc_direct" ] || fail "(embed) exited $rc_embed, direct $rc_direct"
  echo "ok: the script over an embedded $(wc -c <"$tmp/seed/test.db")-byte database," \
       "copy-on-write in memory, prints what it prints directly (exit $rc_direct)"
  ;;

pipe)
  # A session a user might type, fed on a pipe: what the shell prints must not depend on
  # who runs it. The pipe is made by bash, so stdin is a FIFO in every run.
  script='CREATE TABLE t(a, b);
INSERT INTO t VALUES(1, '"'one'"'), (2, '"'two'"');
SELECT a, b FROM t ORDER BY a;
.mode csv
SELECT count(*), sum(a) FROM t;
'
  pipe_run() { # pipe_run NAME CMD...
    local name=$1 rc=0
    shift
    printf '%s' "$script" | "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    echo "$rc"
  }
  mkdir -p "$tmp/direct" "$tmp/mount/tree"
  rc_direct=$(pipe_run direct "${nodew[@]}" --preopen "/data=$tmp/direct" --argv0 sqlite3 \
    "$sqlite" /data/test.db)
  printf '1|one\n2|two\n2,3\r\n' >"$tmp/want.out"
  if ! cmp -s "$tmp/want.out" "$tmp/direct.out"; then
    diff -u "$tmp/want.out" "$tmp/direct.out" >&2 || true
    fail "the direct run on a pipe printed something else than the query results"
  fi
  [ "$rc_direct" = 0 ] || { cat "$tmp/direct.err" >&2; fail "direct run exited $rc_direct"; }

  virt mount --mount /data=/host/tree:rw --stdin inherit --arg /data/test.db
  rc_mount=$(pipe_run mount "${nodev[@]}" --preopen "/host=$tmp/mount" "$tmp/mount.wasm")
  virt mem --mem /data --stdin inherit --arg /data/test.db
  rc_mem=$(pipe_run mem "${nodev[@]}" "$tmp/mem.wasm")
  for v in mount mem; do
    if grep -q 'SQLite version\|sqlite> ' "$tmp/$v.out"; then
      head -5 "$tmp/$v.out" >&2
      fail "($v) printed the interactive banner or prompts: stdin on a pipe was taken for a terminal"
    fi
    same direct $v
    rc_v=rc_$v
    [ "${!rc_v}" = "$rc_direct" ] || fail "($v) exited ${!rc_v}, direct $rc_direct"
  done
  cmp "$tmp/direct/test.db" "$tmp/mount/tree/test.db" || fail "(mount) left other database bytes"
  echo "ok: a script on a pipe, no banner nor prompts, same output direct / --mount / --mem"
  ;;

*) echo "sqlite.sh: unknown case '$case'" >&2; exit 2 ;;
esac
