#!/usr/bin/env python3
"""Seeds for fuzz_handles (corpus/handles/): a hand-written sequence of each kind of
operation (fuzz_handles.c describes the encoding) plus pseudo-random sequences from a
fixed seed, with handles mostly taken from earlier results, for 2..4 instances, 1..3
types, and small table limits.

usage: handles_seeds.py OUT_DIR"""
import os
import random
import sys

# op selectors (byte % 14)
NEW, REP, DROP, DUP, DESTROY, MOVE, BEGIN, LEND, END, ENTER, TEARDOWN, INSPECT = \
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12

basic = bytes([
    0x00, 0x00, 0x00,                   # 2 instances, 1 type defined by instance 0
    NEW, 0, 0, 0, 0, 7,                 # h1 (rep 7), pool 0
    NEW, 1, 0, 0, 1, 8, 0, 0, 0,        # h2 (rep 8, 32-bit), trapping export, pool 1
    REP, 0, 0, 0, 0,                    # rep of pool 0
    DUP, 0, 0, 0, 1,                    # dup of pool 1, pool 2
    MOVE, 2, 0, 0, 1, 0,                # fused own argument 0 -> 1 of pool 0, pool 3
    ENTER, 1, 0, 0, 1, 0, 3,            # fused call 1 -> 0 lending pool 3 to its definer
    END, 0, 0,                          # end that scope
    BEGIN, 0, 0, 1,                     # 0 -> 1
    LEND, 0, 0, 0, 1,                   # lend pool 1: a borrow handle in 1
    END, 0, 0,                          # fails: the borrow is still held
    INSPECT,
    DROP, 0, 1, 0, 5,                   # drop that borrow (pool 5)
    END, 1, 0,                          # now it ends (trapping export)
    DESTROY, 0, 0, 0, 2,                # destroy the dup
    REP, 0, 0, 0, 1,                    # use of destroyed resource
    DROP, 0, 0, 0, 1,                   # frees the null handle
    DROP, 0, 0, 0, 1,                   # dropped twice
    INSPECT,
    TEARDOWN, 1, 0, 1,                  # teardown of instance 1
    TEARDOWN, 0,                        # unwind
    INSPECT,
])


def rand_seq(rng, n_ops):
    out = bytearray([rng.randrange(256), rng.choice([0, 0, 0x80, 0x81, 0x83]),
                     rng.randrange(4), rng.randrange(4), rng.randrange(4)])
    weights = [(NEW, 4), (REP, 1), (DROP, 2), (DUP, 2), (DESTROY, 1), (MOVE, 3),
               (BEGIN, 2), (LEND, 3), (END, 3), (ENTER, 4), (TEARDOWN, 1), (INSPECT, 1)]
    ops = [o for o, w in weights for _ in range(w)]
    for _ in range(n_ops):
        op = rng.choice(ops)
        out.append(op)
        if op != ENTER:  # the mode: mostly the `_e` export, so an error does not end the run
            out.append(0 if rng.random() < 0.85 else rng.randrange(256))
        # operands: mostly small bytes, so they hit the pool and the real ids
        for _ in range(rng.randrange(3, 12)):
            out.append(rng.randrange(8) if rng.random() < 0.8 else rng.randrange(256))
    return bytes(out)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {'basic.bin': basic}
    rng = random.Random(12)
    for i in range(40):
        seeds[f'random_{i:02d}.bin'] = rand_seq(rng, rng.randrange(5, 120))
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds)} seeds in {out}')


main()
