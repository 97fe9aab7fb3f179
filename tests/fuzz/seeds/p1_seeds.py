#!/usr/bin/env python3
"""Seeds for fuzz_wasi_p1: call sequences a wasi-libc program makes, against the
fuzz target's configuration (/data embedded, /cow copy-on-write, /tmp in memory; the
preopens are fds 3, 4, 5). Each input is records (u8 function, then u16 per i32
parameter and s32 per i64 parameter) followed, from offset 2048, by the data the
pointers point at (the input is the guest's memory).

usage: p1_seeds.py OUTDIR
"""
import os
import struct
import sys

NAMES = ("args_get args_sizes_get environ_get environ_sizes_get clock_res_get "
         "clock_time_get fd_advise fd_allocate fd_close fd_datasync fd_fdstat_get "
         "fd_fdstat_set_flags fd_fdstat_set_rights fd_filestat_get fd_filestat_set_size "
         "fd_filestat_set_times fd_pread fd_prestat_get fd_prestat_dir_name fd_pwrite "
         "fd_read fd_readdir fd_renumber fd_seek fd_sync fd_tell fd_write "
         "path_create_directory path_filestat_get path_filestat_set_times path_link "
         "path_open path_readlink path_remove_directory path_rename path_symlink "
         "path_unlink_file poll_oneoff proc_exit proc_raise sched_yield random_get "
         "sock_accept sock_recv sock_send sock_shutdown").split()
SIGS = ["ii", "ii", "ii", "ii", "ii", "iIi", "iIIi", "iII", "i", "i", "ii", "ii", "iII",
        "ii", "iI", "iIIi", "iiiIi", "ii", "iii", "iiiIi", "iiii", "iiiIi", "ii", "iIii",
        "i", "ii", "iiii", "iii", "iiiii", "iiiiIIi", "iiiiiii", "iiiiiIIii", "iiiiii",
        "iii", "iiiiii", "iiiii", "iii", "iiii", "i", "i", "", "ii", "iii", "iiiiii",
        "iiiii", "ii"]
DATA = 2048


class Seed:
    def __init__(self):
        self.rec = b""
        self.data = bytearray()

    def put(self, blob, align=8):
        while len(self.data) % align:
            self.data.append(0)
        off = DATA + len(self.data)
        self.data += blob
        return off

    def call(self, name, *args):
        f = NAMES.index(name)
        sig = SIGS[f]
        assert len(args) == len(sig), name
        self.rec += bytes([f])
        for a, c in zip(args, sig):
            self.rec += struct.pack("<H", a & 0xFFFF) if c == "i" else struct.pack("<i", a)

    def client(self, k):
        self.rec += bytes([46, k])

    def bytes(self):
        if not self.rec.endswith(bytes([NAMES.index("proc_exit"), 0, 0])):
            self.call("proc_exit", 0)  # the end: what follows is data, not calls
        assert len(self.rec) <= DATA
        return self.rec + bytes(DATA - len(self.rec)) + bytes(self.data)


def iov(s, buf, n):
    return s.put(struct.pack("<II", buf, n))


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {}

    s = Seed()  # start-up as wasi-libc does it
    ret = s.put(bytes(16))
    name = s.put(bytes(64))
    for fd in (3, 4, 5, 6):
        s.call("fd_prestat_get", fd, ret)
        s.call("fd_prestat_dir_name", fd, name, 5)
    s.call("args_sizes_get", ret, ret + 4)
    s.call("args_get", s.put(bytes(16)), s.put(bytes(64)))
    s.call("environ_sizes_get", ret, ret + 4)
    s.call("environ_get", s.put(bytes(16)), s.put(bytes(64)))
    s.call("fd_fdstat_get", 1, s.put(bytes(24)))
    seeds["startup"] = s

    s = Seed()  # open, read, seek, stat, close in /data
    p = s.put(b"dir/b.txt", 1)
    fdp = s.put(bytes(8))
    s.call("path_open", 3, 1, p, 9, 0, 0x2 | 0x4 | 0x20, 0, 0, fdp)
    buf = s.put(bytes(64))
    v = iov(s, buf, 64)
    s.call("fd_read", 6, v, 1, s.put(bytes(8)))
    s.call("fd_seek", 6, -3, 2, s.put(bytes(8)))
    s.call("fd_pread", 6, v, 1, 2, s.put(bytes(8)))
    s.call("fd_filestat_get", 6, s.put(bytes(64)))
    s.call("fd_tell", 6, s.put(bytes(8)))
    s.call("fd_close", 6)
    s.call("fd_read", 6, v, 1, s.put(bytes(8)))
    seeds["read"] = s

    s = Seed()  # write in /tmp and /cow: create, append, truncate, rename, unlink
    p = s.put(b"new.txt", 1)
    q = s.put(b"moved.txt", 1)
    d = s.put(b"sub", 1)
    fdp = s.put(bytes(8))
    s.call("path_open", 5, 0, p, 7, 1 | 8, 0x2 | 0x40 | 0x4, 0, 1, fdp)
    text = s.put(b"hello, world\n" * 4, 1)
    v = iov(s, text, 52)
    s.call("fd_write", 6, v, 1, s.put(bytes(8)))
    s.call("fd_pwrite", 6, v, 1, 100, s.put(bytes(8)))
    s.call("fd_filestat_set_size", 6, 7)
    s.call("fd_allocate", 6, 0, 300)
    s.call("fd_filestat_set_times", 6, 5, 6, 5)
    s.call("fd_fdstat_set_flags", 6, 0)
    s.call("path_create_directory", 5, d, 3)
    s.call("path_rename", 5, p, 7, 5, q, 9)
    s.call("path_filestat_get", 5, 0, q, 9, s.put(bytes(64)))
    s.call("path_unlink_file", 5, q, 9)
    s.call("path_remove_directory", 5, d, 3)
    s.call("path_open", 4, 0, s.put(b"a.txt", 1), 5, 8, 0x40, 0, 0, fdp)
    s.call("fd_write", 7, v, 1, s.put(bytes(8)))
    seeds["write"] = s

    s = Seed()  # readdir with cookies, symlinks, escapes
    fdp = s.put(bytes(8))
    s.call("path_open", 3, 0, s.put(b".", 1), 1, 2, 0x4000, 0, 0, fdp)
    rb = s.put(bytes(256))
    s.call("fd_readdir", 6, rb, 256, 0, s.put(bytes(8)))
    s.call("fd_readdir", 6, rb, 40, 2, s.put(bytes(8)))
    s.call("path_readlink", 3, s.put(b"dir/link", 1), 8, s.put(bytes(32)), 32, s.put(bytes(8)))
    s.call("path_open", 3, 1, s.put(b"up", 1), 2, 0, 2, 0, 0, fdp)
    s.call("path_open", 3, 1, s.put(b"../x", 1), 4, 0, 2, 0, 0, fdp)
    s.call("path_open", 3, 1, s.put(b"/etc/passwd", 1), 11, 0, 2, 0, 0, fdp)
    s.call("path_symlink", s.put(b"a.txt", 1), 5, 4, s.put(b"l2", 1), 2)
    s.call("path_link", 4, 0, s.put(b"a.txt", 1), 5, 4, s.put(b"hard", 1), 4)
    s.call("fd_renumber", 6, 3)
    s.call("fd_prestat_get", 3, s.put(bytes(8)))
    seeds["dirs"] = s

    s = Seed()  # clocks, poll, random, faults, sockets, two clients
    sub = bytearray(96)
    struct.pack_into("<QB", sub, 0, 7, 0)
    struct.pack_into("<IQQH", sub, 16, 1, 1000, 0, 0)
    struct.pack_into("<QB", sub, 48, 8, 1)
    struct.pack_into("<I", sub, 64, 3)
    s.call("poll_oneoff", s.put(bytes(sub)), s.put(bytes(64)), 2, s.put(bytes(8)))
    s.call("clock_time_get", 1, 1, s.put(bytes(8)))
    s.call("clock_res_get", 0, s.put(bytes(8)))
    s.call("random_get", s.put(bytes(40)), 40)
    buf = s.put(bytes(16))
    v = iov(s, buf, 16)
    fdp = s.put(bytes(8))
    s.call("path_open", 3, 0, s.put(b"a.txt", 1), 5, 0, 2, 0, 0, fdp)
    for _ in range(6):
        s.call("fd_read", 6, v, 1, s.put(bytes(8)))
    s.call("sock_shutdown", 1, 3)
    s.call("sock_recv", 6, v, 1, 0, s.put(bytes(8)), s.put(bytes(8)))
    s.client(1)
    s.call("fd_read", 6, v, 1, s.put(bytes(8)))
    s.call("fd_prestat_get", 3, s.put(bytes(8)))
    s.client(0)
    s.call("fd_close", 6)
    s.call("sched_yield")
    s.call("proc_raise", 2)
    s.call("proc_exit", 3)
    seeds["misc"] = s

    for k, v in seeds.items():
        with open(os.path.join(out, k), "wb") as f:
            f.write(v.bytes())


if __name__ == "__main__":
    main(sys.argv[1])
