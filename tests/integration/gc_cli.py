"""The membrane command on a GC module: `inspect --json` names the GC features and prints
typed references as text; `link` of it alone is a faithful copy: the same types (rec
groups and all) and globals, the same features. usage: gc_cli.py MEMBRANE GC_STRUCTS.wasm"""
import json
import os
import subprocess
import sys
import tempfile

membrane, wasm = sys.argv[1], sys.argv[2]
out = subprocess.run([membrane, "inspect", "--json", wasm], check=True,
                     capture_output=True, text=True).stdout
d = json.loads(out)
types = [g["type"] for g in d["globals"]]
assert "gc" in d["features"] and "typed-function-references" in d["features"], d["features"]
# gc_structs.wat's globals as binaryen numbers its types: (ref $point) (ref $point3) ...
assert types[:3] == ["(ref 0)", "(ref 2)", "(ref i31)"], types
assert "externref" in types and "anyref" in types, types

with tempfile.TemporaryDirectory() as tmp:
    target = os.path.join(tmp, "out.wasm")
    r = subprocess.run([membrane, "link", "app=" + wasm, "-o", target],
                       capture_output=True, text=True)
    assert r.returncode == 0, r
    again = json.loads(subprocess.run([membrane, "inspect", "--json", target], check=True,
                                      capture_output=True, text=True).stdout)
    assert [g["type"] for g in again["globals"]] == types, again["globals"]
    assert again["features"] == d["features"], (again["features"], d["features"])
