#!/usr/bin/env bash
# fuzz_handles' corpus on the real wasm32 glue: the replay binary writes the glue calls
# of every input with their results (MB_FUZZ_TRACE), handles_replay.mjs makes them again
# on the glue module under Node and compares.
# usage: handles_node.sh REPLAY_EXE NODE GLUE.wasm DIR...
set -euo pipefail
exe=$1 node=$2 glue=$3
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
trace=$(mktemp)
trap 'rm -f "$trace"' EXIT
MB_FUZZ_TRACE=$trace "$exe" "$@"
"$node" "$here/handles_replay.mjs" "$glue" "$trace"
