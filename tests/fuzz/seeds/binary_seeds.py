#!/usr/bin/env python3
"""Seeds wabt 1.0.32 cannot write from text, built byte by byte: custom sections
between known sections, a table with an initialiser (0x40 0x00 prefix), element and data
segments in their explicit-index forms, padded (non-minimal) LEB128s, try_table / throw_ref from the
current exception-handling proposal, and a memory count just past the limit.

usage: binary_seeds.py OUTDIR"""
import os
import sys


def uleb(v, pad=0):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v or pad > 0:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
        if not v:
            pad -= 1
            if pad == 0:
                out.append(0)
                break
    return bytes(out)


def sleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(s):
    s = s.encode()
    return uleb(len(s)) + s


def section(sid, body, pad=0):
    return bytes([sid]) + uleb(len(body), pad) + body


def custom(nm, payload):
    return section(0, name(nm) + payload)


def module(*sections):
    return b"\0asm\1\0\0\0" + b"".join(sections)


def body(locals_, code):
    b = vec([uleb(n) + bytes([t]) for n, t in locals_]) + code
    return uleb(len(b)) + b


END = b"\x0b"
I32 = 0x7F
FUNCREF = 0x70


def custom_placement():
    types = section(1, vec([b"\x60" + vec([bytes([I32])]) + vec([bytes([I32])])]))
    funcs = section(3, vec([uleb(0), uleb(0)]))
    exports = section(7, vec([name("f") + b"\x00" + uleb(1)]))
    code = section(10, vec([
        body([(1, I32)], b"\x20\x00\x10\x01" + END),           # local.get 0; call 1
        body([], b"\x20\x00\x41" + sleb(-1) + b"\x6a" + END),  # local.get 0; i32.const -1; add
    ]))
    return module(custom("first", b"\x01\x02"), types, custom("between", b""),
                  custom("utf8 \u00e9\u4e2d", b"payload"), funcs, exports,
                  custom("before code", b"\xff" * 3), code, custom("last", b"end"))


def segments():
    types = section(1, vec([b"\x60\x00\x00"]))
    funcs = section(3, vec([uleb(0, pad=2), uleb(0)]))
    # table 0 with an initialiser; table 1 plain
    tables = section(4, vec([
        b"\x40\x00" + bytes([FUNCREF]) + b"\x00" + uleb(4) + b"\xd2" + uleb(1) + END,
        bytes([FUNCREF]) + b"\x01" + uleb(1) + uleb(2),
    ]))
    mems = section(5, vec([b"\x00" + uleb(1, pad=3)]))
    globs = section(6, vec([bytes([I32]) + b"\x00\x41" + sleb(3) + END]))
    elems = section(9, vec([
        uleb(2) + uleb(0) + b"\x41\x00" + END + b"\x00" + vec([uleb(0), uleb(1)]),
        uleb(6) + uleb(1) + b"\x23\x00" + END + bytes([FUNCREF]) +
        vec([b"\xd2\x00" + END, b"\xd0\x70" + END]),
        uleb(5) + bytes([FUNCREF]) + vec([b"\xd2\x01" + END]),
        uleb(3) + b"\x00" + vec([uleb(1)]),
        uleb(4) + b"\x41\x01" + END + vec([b"\xd2\x00" + END]),
    ]))
    datacount = section(12, uleb(3))
    code = section(10, vec([
        # memory.init 1 0; data.drop 2; table.init 1 1; elem.drop 0; call_indirect 0 1
        body([], b"\x41\x00\x41\x00\x41\x00\xfc\x08\x01\x00"
                 b"\xfc\x09\x02"
                 b"\x41\x00\x41\x00\x41\x00\xfc\x0c\x01\x01"
                 b"\xfc\x0d\x00"
                 b"\x41\x00\x11\x00\x01" + END),
        body([], END),
    ]), pad=1)
    datas = section(11, vec([
        uleb(2) + uleb(0) + b"\x41\x10" + END + name("explicit memory 0"),
        uleb(1) + name("passive"),
        uleb(0) + b"\x23\x00" + END + name(""),
    ]))
    return module(types, funcs, tables, mems, globs, elems, datacount, code, datas)


def try_table():
    types = section(1, vec([b"\x60\x00\x00", b"\x60" + vec([bytes([I32])]) + b"\x00"]))
    imports = section(2, vec([name("env") + name("tag") + b"\x04\x00" + uleb(1)]))
    funcs = section(3, vec([uleb(0)]))
    tags = section(13, vec([b"\x00" + uleb(0), b"\x00" + uleb(1)]))
    # block (result exnref)
    #   try_table (catch 0 0) (catch_ref 2 0) (catch_all 1) (catch_all_ref 0) ... end
    code = section(10, vec([body([(1, 0x69)],
        b"\x02\x69"
        b"\x02\x40"
        b"\x1f\x40" + vec([b"\x00\x00\x01", b"\x01\x02\x01", b"\x02\x00", b"\x03\x01"]) +
        b"\x41\x05\x08\x00"          # i32.const 5; throw 0 (the imported tag)
        + END + END +
        b"\xd0\x69" + END +          # ref.null exn
        b"\x0a" + END)]))            # throw_ref
    return module(types, imports, funcs, tags, code)


def many_memories():
    # 100 imported memories, the limit, and one defined: one too many.
    imp = name("m") + name("") + b"\x02\x00" + uleb(0)
    imports = section(2, vec([imp] * 100))
    mems = section(5, vec([b"\x00\x00"]))
    return module(imports, mems)


def many_imported_memories():
    # 101 imported memories: past the limit in the import section itself.
    imp = name("m") + name("") + b"\x02\x00" + uleb(0)
    return module(section(2, vec([imp] * 101)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for nm, fn in [("custom_placement", custom_placement), ("segments", segments),
                   ("try_table", try_table), ("many_memories", many_memories),
                   ("many_imported_memories", many_imported_memories)]:
        with open(os.path.join(out, nm + ".wasm"), "wb") as f:
            f.write(fn())


if __name__ == "__main__":
    main()
