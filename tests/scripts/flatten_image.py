#!/usr/bin/env python3
"""Flattens an image of an OCI layout into a directory with Python's tarfile — an applier
independent of kiln's, for Windows images too (umoci refuses os=windows).

Usage: flatten_image.py LAYOUT TAG OUT [--windows]
Windows: only Files/ is applied (as the container's C:\\), Hives/ and UtilityVM/ are skipped;
whiteouts (.wh.NAME) delete, opaque markers (.wh..wh..opq) empty their directory.
"""
import json
import os
import io
import shutil
import subprocess
import sys
import tarfile


def blob(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":"))


def manifest_of(layout, tag):
    index = json.load(open(os.path.join(layout, "index.json")))
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") in (tag, None):
            doc = json.load(open(blob(layout, m["digest"])))
            if "manifests" in doc:
                doc = json.load(open(blob(layout, doc["manifests"][0]["digest"])))
            return doc
    sys.exit("no image %s in %s" % (tag, layout))


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def open_layer(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"\x28\xb5\x2f\xfd":  # zstd: tarfile cannot read it; the zstd tool can
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        return tarfile.open(fileobj=io.BytesIO(data))
    return tarfile.open(path)


def apply(tar_path, out, windows):
    with open_layer(tar_path) as tf:
        for m in tf:
            name = m.name.rstrip("/")
            if windows:
                if not name.startswith("Files/"):
                    continue
                name = name[len("Files/"):]
            if name in ("", "."):
                continue
            parent, base = os.path.split(name)
            target = os.path.join(out, name)
            if base == ".wh..wh..opq":
                d = os.path.join(out, parent)
                for child in os.listdir(d) if os.path.isdir(d) else []:
                    remove(os.path.join(d, child))
                continue
            if base.startswith(".wh."):
                remove(os.path.join(out, parent, base[4:]))
                continue
            if windows and ":" in base:
                continue  # alternate data stream
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if m.isdir():
                if not os.path.isdir(target):
                    remove(target)
                    os.makedirs(target)
            elif m.issym():
                remove(target)
                os.symlink(m.linkname, target)
            elif m.islnk():
                remove(target)
                link = m.linkname[len("Files/"):] if windows else m.linkname
                os.link(os.path.join(out, link), target)
            elif m.isfile():
                remove(target)
                with tf.extractfile(m) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def main():
    layout, tag, out = sys.argv[1:4]
    windows = "--windows" in sys.argv
    os.makedirs(out, exist_ok=True)
    for layer in manifest_of(layout, tag)["layers"]:
        apply(blob(layout, layer["digest"]), out, windows)


if __name__ == "__main__":
    main()
