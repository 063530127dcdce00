#!/usr/bin/env python3
"""Writes the bulky files the shrink fixtures COPY into DIR, at SCALE of Microsoft's sizes.

Deterministic pseudo-random bytes (incompressible, like an installer): the same on every run.
"""
import os
import random
import sys

MB = 1000 * 1000


def blob(path, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n


def main(out, scale):
    installer = int(125.7 * MB * scale)
    installed = int(178.6 * MB * scale)
    blob(os.path.join(out, "downloads", "python-3.12.0-amd64.exe"), installer, 1)
    # The installed tree: a few big files and some small ones.
    blob(os.path.join(out, "Python312", "python312.dll"), installed // 2, 2)
    blob(os.path.join(out, "Python312", "Lib", "site-packages", "big.pyd"), installed // 4, 3)
    rest = installed - installed // 2 - installed // 4
    for i in range(8):
        blob(os.path.join(out, "Python312", "Lib", "mod%d.py" % i), rest // 8, 10 + i)
    # copy-only fixture: an app, a newer config, a setup log that lands in Windows\Temp.
    os.makedirs(os.path.join(out, "app", "config"), exist_ok=True)
    with open(os.path.join(out, "app", "hello.cmd"), "w") as f:
        f.write("@echo Hello from kiln\r\n")
    with open(os.path.join(out, "app", "config", "settings.json"), "w") as f:
        f.write('{"version": 1, "padding": "' + "x" * 4000 + '"}\n')
    os.makedirs(os.path.join(out, "app-v2"), exist_ok=True)
    with open(os.path.join(out, "app-v2", "settings.json"), "w") as f:
        f.write('{"version": 2}\n')
    blob(os.path.join(out, "logs", "setup.log"), int(2 * MB * scale), 99)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.1)
