#!/usr/bin/env python3
"""Seeds for fuzz_replay_log: logs written by an independent encoder of the format
(membrane_wasi_virt.h, "the record/replay log"): every record kind, arguments at the
LEB128 limits, in/out bytes, plus one log broken each way. Real recordings (the ones
tests/virt/replay.sh makes) sit beside them as rec-*.log.
usage: replay_log_seeds.py OUTDIR"""
import struct, sys, os

def uleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def rec(kind, func, args=(), err=0, inp=b"", out=b"", ref=None):
    """ref: (offset, n): out is the n bytes at offset, earlier in the log"""
    tail = uleb(ref[1] * 2 + 1) + uleb(ref[0]) if ref else uleb(len(out) * 2) + out
    return (bytes([kind, func, len(args)]) + b"".join(uleb(a) for a in args) + uleb(err)
            + uleb(len(inp)) + inp + tail)

def header(config=b"", version=1):
    return b"\x7fMBVLOG1" + struct.pack("<II", version, len(config)) + config

CALL, HOST, EXIT = 1, 2, 3
body = (rec(HOST, 17, [3], 0, out=b"\0\0\0\0\4\0\0\0")
        + rec(CALL, 31, [3, 1, 70000, 6, 0, 264240830, 268435455, 0, 69124], inp=b"in.txt")
        + rec(HOST, 28, [3, 0], 0, b"in.txt", bytes(64))
        + rec(HOST, 31, [3, 0, 0, 264240830, 268435455, 0], 0, b"in.txt", b"\6\0\0\0")
        + rec(CALL, 20, [5, 69152, 2, 69148])
        + rec(HOST, 20, [6, 254], 0, out=b"hello from the host\n")
        + rec(HOST, 26, [1, 38], 0, struct.pack("<Q", 0x460609b20fcb16cd), b"&\0\0\0")
        + rec(HOST, 5, [0, 1], 0, out=struct.pack("<Q", 1796581239927661000))
        + rec(HOST, 41, [16], 0, out=bytes(range(16)))
        + rec(HOST, 34, [3, 3], 44, b"a\0b")
        + rec(CALL, 40)
        + rec(EXIT, 38, [3]))
first = header() + rec(HOST, 20, [6, 300], 0, out=bytes(range(256)) + b"x" * 44)
at = len(header()) + 3 + 3 + 1 + 1 + 2  # kind func n, args 6 and 300, errno, in, out length
reread = first + rec(HOST, 20, [6, 300], 0, ref=(at, 300)) + rec(HOST, 16, [6, 10, 5], 0, ref=(at + 5, 10))
seeds = {
    "reread.log": reread,
    "bad-ref-ahead.log": first + rec(HOST, 20, [6, 300], 0, ref=(at + 1, 300)),
    "bad-ref-self.log": header() + rec(HOST, 20, [6, 4], 0, ref=(16, 4)),
    "empty.log": header(),
    "typical.log": header(b"\x7fMBVCFG1" + bytes(12)) + body,
    "limits.log": header() + rec(HOST, 45, [2**64 - 1] * 10, 76, b"\xff" * 3, b"\0" * 5),
    "bad-magic.log": b"\x7fMBVLOG2" + header()[8:],
    "bad-version.log": header(version=2) + body,
    "bad-config-len.log": b"\x7fMBVLOG1" + struct.pack("<II", 1, 1000),
    "bad-kind.log": header() + rec(4, 0),
    "bad-func.log": header() + rec(CALL, 46),
    "bad-nargs.log": header() + bytes([CALL, 0, 11]) + bytes(14),
    "bad-errno.log": header() + rec(HOST, 0, [], 77),
    "bad-leb.log": header() + bytes([CALL, 0, 1]) + b"\xff" * 10 + b"\x01\0\0\0",
    "truncated.log": (header() + body)[:-3],
    "long-in.log": header() + bytes([CALL, 0, 0, 0]) + uleb(2**32) + b"x",
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
