#!/usr/bin/env python3
"""Seed images for fuzz_vfs_image, written by a second, independent implementation of
the format in wasi-virt/membrane_wasi_virt.h (so a misreading of the format on either
side shows up as a seed the reader refuses): valid trees of every shape the reader
walks, plus a few images broken in one named way each.

usage: vfs_image_seeds.py OUTDIR"""
import os
import struct
import sys

MAGIC = b"\x7fMBVFS\r\n"
DIR, FILE, LINK = 3, 4, 7


def image(tree, mtim=0):
    """tree: dict name -> bytes (file), ('link', text) or dict (directory)."""
    # breadth-first: (type, name, mtim, payload, children)
    nodes = [(DIR, b"", mtim, None, tree)]
    i = 0
    while i < len(nodes):
        t, _, _, _, kids = nodes[i]
        if t == DIR:
            for name in sorted(kids):
                v = kids[name]
                if isinstance(v, dict):
                    nodes.append((DIR, name, mtim, None, v))
                elif isinstance(v, tuple):
                    nodes.append((LINK, name, mtim, v[1], None))
                else:
                    nodes.append((FILE, name, mtim, v, None))
        i += 1
    n = len(nodes)
    table = 32
    names_at = table + 32 * n
    blob = bytearray()
    name_off, data_off = [], []
    for t, name, _, payload, _ in nodes:
        name_off.append(names_at + len(blob) if name else 0)
        blob += name
    for t, name, _, payload, _ in nodes:
        data_off.append(names_at + len(blob))
        if payload is not None:
            blob += payload
    total = names_at + len(blob)
    out = bytearray(MAGIC + struct.pack("<IIQII", 1, 0, total, n, table))
    next_child = 1
    for k, (t, name, m, payload, kids) in enumerate(nodes):
        if t == DIR:
            a, b = next_child, len(kids)
            next_child += b
        else:
            a, b = data_off[k], len(payload)
        out += struct.pack("<BBHIQQQ", t, 0, len(name), name_off[k], m, a, b)
    out += blob
    assert len(out) == total
    return bytes(out)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    seeds = {}
    seeds["empty_root"] = image({})
    seeds["one_file"] = image({b"f": b"hello"}, mtim=1700000000123456789)
    seeds["tree"] = image({
        b"a": {b"b": {b"file": b"deep"}, b"up": ("link", b"..")},
        b"file": b"0123456789",
        b"empty": {},
        b"link_file": ("link", b"file"),
        b"link_dir": ("link", b"a"),
        b"dangling": ("link", b"nowhere"),
        b"abs": ("link", b"/etc/passwd"),
        b"escape": ("link", b"../secret"),
        b"loop1": ("link", b"loop2"),
        b"loop2": ("link", b"loop1"),
        b"self": ("link", b"self"),
    })
    seeds["long_names"] = image({b"n" * 255: b"x", b"d" * 255: {b"m" * 255: {}}})
    seeds["wide"] = image({b"f%03d" % i: b"%d" % i for i in range(200)})
    deep = {}
    cur = deep
    for _ in range(60):
        cur[b"d"] = {}
        cur = cur[b"d"]
    cur[b"bottom"] = b"!"
    seeds["deep"] = image(deep)
    seeds["chain"] = image(dict([(b"c%02d" % i, ("link", b"c%02d" % (i + 1))) for i in range(45)]
                                + [(b"c45", b"end")]))
    seeds["big_file"] = image({b"big": bytes(range(256)) * 64, b"z": b""})
    seeds["long_text"] = image({b"l": ("link", b"./" * 2047 + b"x"), b"x": b"target"})
    # broken, one way each (the reader must refuse them with a diagnostic)
    good = bytearray(seeds["tree"])
    seeds["bad_truncated"] = bytes(good[:-1])
    b = bytearray(good); b[8] = 2
    seeds["bad_version"] = bytes(b)
    b = bytearray(good); struct.pack_into("<Q", b, 32 + 16, 2)  # root's first child
    seeds["bad_tree"] = bytes(b)
    b = bytearray(good); b[32 + 32] = 9  # node 1's type
    seeds["bad_type"] = bytes(b)
    for name, data in seeds.items():
        with open(os.path.join(outdir, name + ".img"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
