"""The membrane command on a GC module: `inspect --json` names the GC features and prints
typed references as text; `link` refuses it by name (fusion of GC modules is not done
yet) and writes nothing. usage: gc_cli.py MEMBRANE GC_STRUCTS.wasm"""
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
    assert r.returncode == 1, r
    assert "unsupported feature: instance 'app' uses GC" in r.stderr, r.stderr
    assert not os.path.exists(target)
