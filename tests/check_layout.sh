#!/usr/bin/env bash
# check_layout.sh SRCROOT — the layout rules of README "Layout", checked on the source tree:
#   1. no file of one library includes another library's private header (a library's public
#      headers are the membrane_*.h files at its root; every other header is private);
#   2. no include cycle between the headers of one library.
# Libraries: linker/wasm, linker/wit, linker (the link library), virt, wasi-virt, common (the
# shared header-only allocator and buffer); tools/ is held to rule 1 too. An include that names no file of the tree (system, generated) is not
# looked at. Prints every violation, exits 1 when there is one.
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
exec python3 - "$root" <<'PY'
import os, re, sys

root = sys.argv[1]
libs = ["linker/wasm", "linker/wit", "linker", "virt", "wasi-virt", "common", "tools"]
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

def lib_of(rel):
    for lib in libs:  # longest first: linker/wasm before linker
        if rel.startswith(lib + "/") and "/" not in rel[len(lib) + 1:]:
            return lib
    return None

def is_public(rel):
    return os.path.basename(rel).startswith("membrane_") and rel.endswith(".h")

files = []
for lib in libs:
    d = os.path.join(root, lib)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        if name.endswith((".c", ".h")):
            files.append(lib + "/" + name)

def resolve(includer, name):
    """Files of the tree an include may reach: beside the includer first (as the compiler
    does), else any library root holding it (through an include directory)."""
    here = os.path.normpath(os.path.join(os.path.dirname(includer), name))
    if os.path.isfile(os.path.join(root, here)):
        return [here]
    found = []
    for lib in libs:
        cand = os.path.normpath(os.path.join(lib, name))
        if os.path.isfile(os.path.join(root, cand)):
            found.append(cand)
    return found

errors = []
graph = {}
for f in files:
    text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
    src_lib = lib_of(f)
    for line_no, name in ((text.count("\n", 0, m.start()) + 1, m.group(1))
                          for m in inc_re.finditer(text)):
        for target in resolve(f, name):
            tlib = lib_of(target)
            if tlib is None:
                continue
            if tlib != src_lib and not is_public(target):
                errors.append(f"{f}:{line_no}: includes {target}, a private header of {tlib}/")
            if tlib == src_lib and f.endswith(".h"):
                graph.setdefault(f, []).append(target)

# cycles between headers of one library (iterative DFS, white/grey/black)
state = {}
for start in sorted(graph):
    if state.get(start):
        continue
    stack = [(start, iter(graph.get(start, [])))]
    path = [start]
    state[start] = 1
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            state[node] = 2
            stack.pop()
            path.pop()
            continue
        if state.get(nxt) == 1:
            cyc = path[path.index(nxt):] + [nxt]
            errors.append("include cycle: " + " -> ".join(cyc))
        elif not state.get(nxt):
            state[nxt] = 1
            stack.append((nxt, iter(graph.get(nxt, []))))
            path.append(nxt)

for e in errors:
    print("check_layout: " + e)
if errors:
    sys.exit(1)
print(f"check_layout: {len(files)} files in {len(libs)} folders, no private include across libraries, no include cycle")
PY
