#!/usr/bin/env python3
"""A build context of TOTAL bytes in FILES files (bench/scale_bench.sh, issue 16).

  gen_sized_context.py OUTDIR TOTAL_MIB [FILES] [--seed N]

Files of equal size (the last one takes the remainder) in 40 directories; even-numbered files
hold random bytes (incompressible), odd-numbered ones text cut from a pool of Zipf-distributed
tokens (compresses ~3x with gzip), so half the bytes of each size compress, like
../shared/bench/gen_context.py's W1, whose planner puts most bytes into one file when asked
for GiBs. Real data: every byte is written (no sparse files). Written in 1 MiB pieces, so memory
stays small whatever the size. Same seed -> same tree (names, bytes, mtimes 2024-01-01).
"""
import argparse
import os
import random

MIB = 1 << 20
MTIME = 1704067200


def text_pool(rng, size):
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 12)))
             for _ in range(1500)]
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(vocab))]
    seps = [" ", " ", " ", ".", "(", ")", ", ", " = ", ";\n", "\n    "]
    out, total = [], 0
    while total < size:
        toks = rng.choices(vocab, weights=weights, k=20000)
        chunk = "".join(t + rng.choice(seps) for t in toks).encode()
        out.append(chunk)
        total += len(chunk)
    return b"".join(out)[:size]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("total_mib", type=int)
    ap.add_argument("files", type=int, nargs="?", default=2000)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pool = text_pool(rng, 8 * MIB)
    total = a.total_mib * MIB
    each = total // a.files
    written = 0
    for i in range(a.files):
        d = os.path.join(a.outdir, f"dir{i % 40:02d}")
        os.makedirs(d, exist_ok=True)
        size = each if i < a.files - 1 else total - written
        path = os.path.join(d, f"file{i:06d}.{'bin' if i % 2 == 0 else 'txt'}")
        with open(path, "wb") as f:
            left = size
            while left > 0:
                n = min(left, MIB)
                if i % 2 == 0:
                    f.write(rng.randbytes(n))
                else:
                    off = rng.randrange(0, len(pool) - n)
                    f.write(pool[off:off + n])
                left -= n
        os.utime(path, (MTIME, MTIME))
        written += size
    for i in range(40):
        d = os.path.join(a.outdir, f"dir{i:02d}")
        if os.path.isdir(d):
            os.utime(d, (MTIME, MTIME))
    print(f'{{"files": {a.files}, "bytes": {written}}}')


if __name__ == "__main__":
    main()
