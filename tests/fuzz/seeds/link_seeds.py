#!/usr/bin/env python3
"""Seeds for fuzz_link (corpus/link/): CONFIG MODULE MODULE [MODULE], the modules split
at their "\\0asm" preambles (fuzz_link.c describes the configuration bytes).

- every link composition of tests/link/compositions with an app.wat and a lib.wat, as
  instances "app" and "lib", with a few configurations (default, stub policy, error
  policy, lib as main, explicit exports);
- start_chain's a <- b <- c, wired through configuration bytes;
- pairs and one triple of the named seeds of corpus/wasm (no imports between them, so
  they exercise merging index spaces, several memories, tables, tags).

usage: link_seeds.py OUT_DIR   (needs wat2wasm from wabt)"""
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, '..', '..', '..'))
comp = os.path.join(root, 'tests', 'link', 'compositions')
wasm_corpus = os.path.join(here, '..', 'corpus', 'wasm')


def wat2wasm(path):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'm.wasm')
        r = subprocess.run(['wat2wasm', '--enable-all', path, '-o', out],
                           capture_output=True)
        if r.returncode:
            r = subprocess.run(['wat2wasm', path, '-o', out], capture_output=True)
            if r.returncode:
                return None
        with open(out, 'rb') as f:
            return f.read()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    configs = {'': b'', 'stub': b'\x01', 'error': b'\x02', 'libmain': b'\x04',
               'exports': b'\x08'}
    for name in sorted(os.listdir(comp)):
        d = os.path.join(comp, name)
        app, lib = os.path.join(d, 'app.wat'), os.path.join(d, 'lib.wat')
        if not (os.path.exists(app) and os.path.exists(lib)):
            continue
        a, b = wat2wasm(app), wat2wasm(lib)
        if a is None or b is None:
            print(f'skipped {name}: wat2wasm failed', file=sys.stderr)
            continue
        for cname, cfg in configs.items():
            seeds[f'{name}{"_" + cname if cname else ""}.bin'] = cfg + a + b
    chain = {k: wat2wasm(os.path.join(comp, 'start_chain', k + '.wat')) for k in 'abc'}
    if None not in chain.values():
        # instances app=b lib=a: b's imports of "a" go to instance 1 (byte 2)
        seeds['start_chain_2.bin'] = b'\x00\x02' + chain['b'] + chain['a']
        # app=c lib=b c=a: c's "b" -> 1 (byte 2), b's "a" -> 2 (byte 3)
        seeds['start_chain_3.bin'] = b'\x00\x02\x03' + chain['c'] + chain['b'] + chain['a']
    named = sorted(f for f in os.listdir(wasm_corpus)
                   if len(f) != 45 and f.endswith('.wasm'))
    blobs = []
    for f in named:
        with open(os.path.join(wasm_corpus, f), 'rb') as fh:
            data = fh.read()
        if data.startswith(b'\0asm') and len(data) < 8192:
            blobs.append((f[:-5], data))
    for i in range(len(blobs)):
        (n1, d1), (n2, d2) = blobs[i], blobs[(i + 1) % len(blobs)]
        seeds[f'pair_{n1}_{n2}.bin'] = b'\x08' + d1 + d2
    if len(blobs) >= 3:
        seeds['triple_' + '_'.join(n for n, _ in blobs[:3]) + '.bin'] = \
            b'' + b''.join(d for _, d in blobs[:3])
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds)} seeds in {out}')


main()
