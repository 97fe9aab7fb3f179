#!/usr/bin/env bash
# Record and replay (issue 14): progs/recplay.c reads a file and lists a directory on a
# :rw mount, reads the real clock, real random bytes and stdin, writes stdout and a file,
# exits 3. Recorded once (--record onto a :rw mount), the host files then deleted, the
# replay output (--replay LOG) run on Node with no preopens and no stdin must print the
# same stdout and exit 3, importing only fd_write and proc_exit. The program changed by
# one call (recplay_changed.wasm opens another file first) must stop at that call with
# the message and status 70; a recorded run that traps must replay to the same trap.
# replay-inspect's text and JSON are checked against what the program printed.
#
# usage: replay.sh MEMBRANE NODE VALIDATE RECPLAY.wasm CHANGED.wasm
set -euo pipefail
membrane=$1 node=$2 validate=$3 prog=$4 changed=$5
here=$(cd "$(dirname "$0")" && pwd)
run="$here/run.mjs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export NODE_NO_WARNINGS=1

# the host side of the recording
setup() {
  rm -rf "$tmp/host"
  mkdir -p "$tmp/host/data/sub" "$tmp/host/out"
  echo "hello from the host" > "$tmp/host/data/in.txt"
  head -c 6000 /dev/urandom > "$tmp/host/data/big.bin"
  : > "$tmp/host/data/sub/alpha"
  : > "$tmp/host/data/sub/beta"
}
policy=(--mount /data=data:rw --mount /out=out:rw --clock real --random real --stdin inherit
        --arg /data)

# ---- a recorded run ----
setup
"$membrane" virt "$prog" -o "$tmp/rec.wasm" "${policy[@]}" --record /out/run.log 2>/dev/null
"$validate" --enable-multi-memory "$tmp/rec.wasm"
set +e
(cd "$tmp/host" && echo "typed on stdin" | "$node" "$run" --preopen data=data --preopen out=out \
   "$tmp/rec.wasm" > "$tmp/rec.out" 2> "$tmp/rec.err")
status=$?
set -e
[ "$status" = 3 ] || fail "recorded run exited $status, not 3: $(cat "$tmp/rec.err")"
grep -q '^in.txt: 20 bytes: hello from the host$' "$tmp/rec.out" || fail "recorded run: $(cat "$tmp/rec.out")"
grep -q '^stdin: 15 bytes: typed on stdin$' "$tmp/rec.out" || fail "recorded run did not read stdin"
grep -q '^sub: alpha beta$' "$tmp/rec.out" || fail "recorded run: listing"
grep -q '^written at ' "$tmp/host/data/out.txt" || fail "recorded run wrote no out.txt"
[ -s "$tmp/host/out/run.log" ] || fail "no log at out/run.log"
cp "$tmp/host/out/run.log" "$tmp/run.log"
rm -rf "$tmp/host" # nothing of the host is left for the replay
echo "recorded: exit 3, $(wc -c < "$tmp/run.log") bytes of log"

# ---- the replay: no host files, clock, randomness or stdin ----
"$membrane" virt "$prog" -o "$tmp/replay.wasm" --replay "$tmp/run.log" 2>/dev/null
"$validate" --enable-multi-memory "$tmp/replay.wasm"
imps=$("$membrane" inspect --json "$tmp/replay.wasm" | python3 -c '
import json, sys
print(" ".join(sorted(i["module"] + "." + i["field"] for i in json.load(sys.stdin)["imports"])))')
[ "$imps" = "wasi_snapshot_preview1.fd_write wasi_snapshot_preview1.proc_exit" ] ||
  fail "the replay output imports $imps"
mkdir "$tmp/empty"
set +e
(cd "$tmp/empty" && "$node" "$run" "$tmp/replay.wasm" < /dev/null > "$tmp/replay.out" 2> "$tmp/replay.err")
status=$?
set -e
[ "$status" = 3 ] || fail "replay exited $status, not 3: $(cat "$tmp/replay.err")"
diff -u "$tmp/rec.out" "$tmp/replay.out" || fail "the replay printed something else"
[ -z "$(ls -A "$tmp/empty")" ] || fail "the replay left files: $(ls -A "$tmp/empty")"
echo "replayed: same stdout, exit 3, imports $imps"

# a second replay of the same output: the same again (nothing of the first run stays)
(cd "$tmp/empty" && "$node" "$run" "$tmp/replay.wasm" < /dev/null > "$tmp/replay2.out" 2>/dev/null) || true
diff -q "$tmp/rec.out" "$tmp/replay2.out" >/dev/null || fail "a second replay differs"

# ---- a program changed by one call: stops there, status 70, names both calls ----
"$membrane" virt "$changed" -o "$tmp/changed.wasm" --replay "$tmp/run.log" 2>/dev/null
set +e
(cd "$tmp/empty" && "$node" "$run" "$tmp/changed.wasm" < /dev/null > "$tmp/changed.out" 2> "$tmp/changed.err")
status=$?
set -e
[ "$status" = 70 ] || fail "the changed program exited $status, not 70: $(cat "$tmp/changed.err")"
msg=$(grep '^membrane replay:' "$tmp/changed.err") || fail "no divergence message: $(cat "$tmp/changed.err")"
case $msg in
  "membrane replay: the program left the recording at call "[0-9]*": recorded call path_open("*'"in.txt", asked call path_open('*'"other.txt"') ;;
  *) fail "divergence message: $msg" ;;
esac
echo "changed program: status 70; $msg"

# ---- a run that traps replays to the same trap ----
setup
"$membrane" virt "$prog" -o "$tmp/rec-trap.wasm" "${policy[@]}" --arg trap --record /out/trap.log 2>/dev/null
set +e
(cd "$tmp/host" && echo "again" | "$node" "$run" --preopen data=data --preopen out=out \
   "$tmp/rec-trap.wasm" > "$tmp/trap.out" 2> "$tmp/trap.err")
rec_status=$?
set -e
grep -q 'RuntimeError: unreachable' "$tmp/trap.err" || fail "the recorded run did not trap: $(cat "$tmp/trap.err")"
cp "$tmp/host/out/trap.log" "$tmp/trap.log"
rm -rf "$tmp/host"
"$membrane" virt "$prog" -o "$tmp/replay-trap.wasm" --replay "$tmp/trap.log" 2>/dev/null
set +e
(cd "$tmp/empty" && "$node" "$run" "$tmp/replay-trap.wasm" < /dev/null > "$tmp/trap2.out" 2> "$tmp/trap2.err")
status=$?
set -e
[ "$status" = "$rec_status" ] || fail "the trap replays with status $status, recorded $rec_status"
grep -q 'RuntimeError: unreachable' "$tmp/trap2.err" || fail "the replay did not trap: $(cat "$tmp/trap2.err")"
diff -u "$tmp/trap.out" "$tmp/trap2.out" || fail "the trapping replay printed something else"
"$membrane" replay-inspect "$tmp/trap.log" | tail -1 | grep -qv '^exit' || fail "a trapped run's log has an exit"
echo "trap: recorded and replayed to RuntimeError: unreachable, status $status"

# ---- a run that saves a --mem tree at exit (--save) replays its saves against the log ----
setup
"$membrane" virt "$prog" -o "$tmp/rec-save.wasm" --embed "/scratch=$tmp/host/data" --mem /scratch \
  --mount /out=out:rw --clock real --random real --stdin inherit --arg /scratch \
  --save /scratch=/out/saved --record /out/save.log 2>/dev/null
set +e
(cd "$tmp/host" && echo "saved" | "$node" "$run" --preopen out=out "$tmp/rec-save.wasm" \
   > "$tmp/save.out" 2> "$tmp/save.err")
status=$?
set -e
[ "$status" = 3 ] || fail "recorded run with --save exited $status: $(cat "$tmp/save.err")"
grep -q '^written at ' "$tmp/host/out/saved/out.txt" || fail "the recorded run saved no out.txt"
cp "$tmp/host/out/save.log" "$tmp/save.log"
rm -rf "$tmp/host"
"$membrane" virt "$prog" -o "$tmp/replay-save.wasm" --replay "$tmp/save.log" 2>/dev/null
set +e
(cd "$tmp/empty" && "$node" "$run" "$tmp/replay-save.wasm" < /dev/null > "$tmp/save2.out" 2> "$tmp/save2.err")
status=$?
set -e
[ "$status" = 3 ] || fail "the replay of a run with --save exited $status: $(cat "$tmp/save2.err")"
diff -u "$tmp/save.out" "$tmp/save2.out" || fail "the replay of a run with --save printed something else"
"$membrane" replay-inspect "$tmp/save.log" | grep -q 'host path_rename(.*"\.saved\.membrane-save-' ||
  fail "the save's host calls are not in the log"
echo "--save: the saves' host calls recorded after the exit and replayed against the log, status 3"

# ---- the log on a --mem tree, kept by saving that tree: it cannot hold that save's own
# calls, so a replay that reaches them ends as the program asked (status 3, not 70) ----
setup
"$membrane" virt "$prog" -o "$tmp/rec-memlog.wasm" "${policy[@]}" --mem /rec --record /rec/run.log \
  --save /rec=/out/rec 2>/dev/null
status=0
(cd "$tmp/host" && echo "in memory" | "$node" "$run" --preopen data=data --preopen out=out \
   "$tmp/rec-memlog.wasm" > "$tmp/memlog.out" 2>/dev/null) || status=$?
[ "$status" = 3 ] || fail "recorded run with its log on --mem exited $status"
cp "$tmp/host/out/rec/run.log" "$tmp/memlog.log"
rm -rf "$tmp/host"
"$membrane" virt "$prog" -o "$tmp/replay-memlog.wasm" --replay "$tmp/memlog.log" 2>/dev/null
status=0
(cd "$tmp/empty" && "$node" "$run" "$tmp/replay-memlog.wasm" < /dev/null > "$tmp/memlog2.out" 2> "$tmp/memlog2.err") || status=$?
[ "$status" = 3 ] || fail "the replay of a log saved from --mem exited $status: $(cat "$tmp/memlog2.err")"
diff -u "$tmp/memlog.out" "$tmp/memlog2.out" || fail "the replay of a log saved from --mem printed something else"
echo "log on --mem, saved at exit: replayed, status 3"

# ---- replay-inspect: text and JSON, against what the program printed ----
"$membrane" replay-inspect "$tmp/run.log" > "$tmp/inspect.txt"
grep -Eq '^[0-9]+ call path_open\(3, 1, [0-9]+, 6, .*\) "in.txt"$' "$tmp/inspect.txt" || fail "inspect: no path_open of in.txt"
grep -q '^  host fd_read(.*) = 0 (success) -> 20 bytes "hello from the host\\n"$' "$tmp/inspect.txt" ||
  fail "inspect: no host read of in.txt"
grep -q '^  host fd_read(0, .*-> 15 bytes "typed on stdin\\n"$' "$tmp/inspect.txt" || fail "inspect: no stdin read"
[ "$(tail -1 "$tmp/inspect.txt")" = "  exit 3" ] || fail "inspect: last line $(tail -1 "$tmp/inspect.txt")"
"$membrane" replay-inspect --json "$tmp/run.log" > "$tmp/inspect.json"
python3 - "$tmp/inspect.json" "$tmp/rec.out" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
out = open(sys.argv[2]).read().splitlines()
head, recs = lines[0], lines[1:]
assert head["log"] == "membrane" and head["version"] == 1, head
assert [r["record"] for r in recs] == list(range(1, len(recs) + 1)), "records numbered 1.."
calls = [r for r in recs if r["kind"] == "call"]
assert [c["call"] for c in calls] == list(range(1, len(calls) + 1)), "calls numbered 1.."
assert recs[-1]["kind"] == "exit" and recs[-1]["args"] == [3], recs[-1]
rnd = [r for r in recs if r["kind"] == "host" and r["func"] == "random_get"]
printed = [l for l in out if l.startswith("random:")][0].split()[1:]
assert rnd and rnd[0]["out_hex"] == "".join(printed), (rnd, printed)
clk = [r for r in recs if r["kind"] == "host" and r["func"] == "clock_time_get" and r["args"][0] == 0]
ns = int.from_bytes(bytes.fromhex(clk[-1]["out_hex"]), "little")
sec, frac = [l for l in out if l.startswith("realtime:")][0].split()[1].split(".")
assert ns == int(sec) * 10**9 + int(frac), (ns, sec, frac)
big = [r for r in recs if r["kind"] == "host" and r["func"] == "fd_read" and r["out_len"] == 6000]
assert len(big) == 2 and not big[0].get("out_ref") and big[1].get("out_ref"), big
assert big[0]["out_hex"] == big[1]["out_hex"]
opens = [r for r in recs if r["kind"] == "call" and r["func"] == "path_open" and r.get("in") == "in.txt"]
assert opens and opens[0]["args"][3] == 6, opens
print(f"inspect --json: {len(recs)} records, {len(calls)} calls; random and clock as printed")
EOF
echo "ok"
