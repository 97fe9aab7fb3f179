#!/usr/bin/env bash
# The policy features of `membrane virt` on Node 26, each with the output it must give:
# --stdin FILE, --stdout FILE, poll on descriptors and on an inherited stdin,
# --clock fixed:N, --random seed:N, --fault, --trace stderr and to a file,
# --env-allow / --env-inherit, --args-inherit, --policy FILE.
#
# usage: features.sh MEMBRANE NODE FEATURES.wasm DATA_DIR
set -u
membrane=$1 node=$2 prog=$3 data=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 cases=0

# check NAME EXPECTED_STDOUT [--stderr-has TEXT] -- VIRT_OPTIONS... [-- RUN_OPTIONS... [-- GUEST_ARGS...]]
check() {
  local name=$1 want=$2 err_want=""
  shift 2
  if [ "$1" = --stderr-has ]; then err_want=$2; shift 2; fi
  shift # --
  local vopts=() ropts=() gargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vopts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do ropts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  gargs=("$@")
  cases=$((cases + 1))
  if ! "$membrane" virt "$prog" -o "$tmp/$name.wasm" "${vopts[@]}" 2> "$tmp/err"; then
    echo "FAIL $name: membrane virt: $(cat "$tmp/err")"; failures=$((failures + 1)); return
  fi
  local got
  got=$("$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "${ropts[@]}" \
        "$tmp/$name.wasm" "${gargs[@]}" 2> "$tmp/err")
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: stdout '$got', expected '$want'"; failures=$((failures + 1)); return
  fi
  if [ -n "$err_want" ] && ! grep -qF -- "$err_want" "$tmp/err"; then
    echo "FAIL $name: stderr lacks '$err_want': $(head -c 400 "$tmp/err")"; failures=$((failures + 1)); return
  fi
  echo "ok: $name"
}

printf 'from a file\n' > "$tmp/input.txt"
check stdin "stdin gave 12 bytes: from a file" -- \
  --embed "/in/input.txt=$tmp/input.txt" --stdin /in/input.txt --arg stdin
check stdout-capture "" --stderr-has "log holds: captured line" -- \
  --mem /tmp --stdout /tmp/log --arg capture
check stdin-null "stdin gave 0 bytes: " -- --stdin null --arg stdin
check poll "poll: 2 ready, file readable 1, fd 99 invalid 1" -- \
  --embed "/data=$data" --arg poll
# poll on an inherited stdin asks the host (directly, and through wasi-virt with either
# clock): a pipe nothing is written to yet gives the 100 ms timeout, one with data is ready
"$membrane" virt "$prog" -o "$tmp/ps-fixed.wasm" --stdin inherit --arg poll-stdin 2> /dev/null
"$membrane" virt "$prog" -o "$tmp/ps-real.wasm" --stdin inherit --clock real --arg poll-stdin 2> /dev/null
for way in direct fixed real; do
  if [ $way = direct ]; then w=("$prog" poll-stdin); else w=("$tmp/ps-$way.wasm"); fi
  silent=$( (sleep 0.6) | "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "${w[@]}")
  ready=$(echo data | "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "${w[@]}")
  cases=$((cases + 1))
  if [ "$silent" = "poll stdin: 0 ready" ] && [ "$ready" = "poll stdin: 1 ready" ]; then
    echo "ok: poll-stdin ($way)"
  else
    echo "FAIL poll-stdin ($way): silent pipe '$silent', pipe with data '$ready'"; failures=$((failures + 1))
  fi
done
check clock-fixed "realtime 5.001000000 then 5.002000000" -- --clock fixed:5000000000 --arg clock
r1=$("$membrane" virt "$prog" -o "$tmp/r1.wasm" --random seed:7 --arg random &&
     "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "$tmp/r1.wasm")
check random-seeded "$r1" -- --random seed:7 --arg random
r2=$("$membrane" virt "$prog" -o "$tmp/r2.wasm" --random seed:8 --arg random &&
     "$node" --disable-warning=ExperimentalWarning "$here/run.mjs" "$tmp/r2.wasm")
cases=$((cases + 1))
if [ "$r1" = "$r2" ] || [ ${#r1} -ne 16 ]; then echo "FAIL random: seeds 7 and 8 gave '$r1' and '$r2'"; failures=$((failures + 1)); else echo "ok: random seeds differ"; fi
check fault "first read: ok
second read: I/O error" -- --embed "/data=$data" --fault fd_read:2:io --arg fault
check trace "hello" --stderr-has "wasi: fd_write(1, " -- --trace stderr
check trace-fault "first read: I/O error
second read: ok" --stderr-has "[fault]" -- --embed "/data=$data" --fault fd_read:1:io --trace stderr --arg fault
# --trace GUEST on a :rw mount: the trace lands in the host file, not on stderr
mkdir -p "$tmp/h/out"
check trace-file "hello" -- --mount /out=/h/out:rw --trace /out/trace.log -- --preopen "/h=$tmp/h"
cases=$((cases + 1))
if grep -qF "wasi: fd_write(1, " "$tmp/h/out/trace.log" 2> /dev/null && ! grep -qF "wasi: " "$tmp/err"; then
  echo "ok: trace-file holds the calls"
else
  echo "FAIL trace-file: $tmp/h/out/trace.log: $(head -c 300 "$tmp/h/out/trace.log" 2>&1); stderr: $(head -c 300 "$tmp/err")"
  failures=$((failures + 1))
fi
check env-allow "HOSTVAR=from-host OTHER=(unset)" -- --env-allow HOSTVAR --arg env -- \
  --env HOSTVAR=from-host --env OTHER=hidden
check env-inherit "HOSTVAR=from-host OTHER=fixed" -- --env-inherit --env OTHER=fixed --arg env -- \
  --env HOSTVAR=from-host --env OTHER=hidden
check env-denied "HOSTVAR=(unset) OTHER=(unset)" -- --arg env -- --env HOSTVAR=from-host
check args-inherit "[prog][args][x y]" -- --args-inherit -- --argv0 prog -- args "x y"
printf '{"arg": ["env"], "env": ["OTHER=json"], "env-allow": "HOSTVAR"}\n' > "$tmp/p.json"
check policy-file "HOSTVAR=h OTHER=json" -- --policy "$tmp/p.json" -- --env HOSTVAR=h

echo "$((cases - failures)) of $cases feature checks pass"
[ "$failures" -eq 0 ]
