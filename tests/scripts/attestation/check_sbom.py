#!/usr/bin/env python3
"""Checks an SBOM kiln attached against the image's own layers, independently of kiln: fetches
the image manifest and its layers from the registry (plain HTTP, loopback), applies the layers
above the base with Python's tarfile (whiteouts delete, opaque markers empty their directory,
Windows: only Files/, names compared case-insensitively), hashes every regular file and hard
link, and compares that list with the SPDX document's files exactly (path and sha256). Then
checks the packages' purls against the expected ones and the base package's digest.

Usage: check_sbom.py REGISTRY REPO MANIFEST_DIGEST BASE_LAYERS BASE_DIGEST SBOM_STATEMENT.json
                     [--windows] [--purl PURL]...
"""
import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request


def get(url, accept=None):
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req) as r:
        return r.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("registry")
    ap.add_argument("repo")
    ap.add_argument("manifest")
    ap.add_argument("base_layers", type=int)
    ap.add_argument("base_digest")
    ap.add_argument("statement")
    ap.add_argument("--windows", action="store_true")
    ap.add_argument("--purl", action="append", default=[])
    a = ap.parse_args()
    base = "http://%s/v2/%s" % (a.registry, a.repo)
    manifest = json.loads(get("%s/manifests/%s" % (base, a.manifest),
                              "application/vnd.oci.image.manifest.v1+json"))
    files = {}  # key -> (path, sha256)

    def key(p):
        return p.lower() if a.windows else p

    def erase_under(k):
        for other in [o for o in files if o.startswith(k + "/")]:
            del files[other]

    for layer in manifest["layers"][a.base_layers:]:
        blob = get("%s/blobs/%s" % (base, layer["digest"]))
        assert hashlib.sha256(blob).hexdigest() == layer["digest"].split(":")[1], "blob digest"
        if blob[:2] == b"\x1f\x8b":
            blob = gzip.decompress(blob)
        written = set()
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:") as tar:
            for m in tar:
                name = m.name.lstrip("./").rstrip("/")
                if a.windows:
                    if not name.startswith("Files/"):
                        continue
                    name = name[len("Files/"):]
                parent, _, base_name = name.rpartition("/")
                if base_name == ".wh..wh..opq":
                    for o in [o for o in files if o.startswith(key(parent) + "/") and o not in written]:
                        del files[o]
                    continue
                if base_name.startswith(".wh."):
                    target = (parent + "/" if parent else "") + base_name[4:]
                    files.pop(key(target), None)
                    erase_under(key(target))
                    continue
                k = key(name)
                if m.isdir():
                    files.pop(k, None)
                    continue
                files.pop(k, None)
                erase_under(k)
                if m.isfile():
                    data = tar.extractfile(m).read()
                    files[k] = (name, hashlib.sha256(data).hexdigest())
                    written.add(k)
                elif m.islnk():
                    link = m.linkname
                    if a.windows:
                        link = link[len("Files/"):] if link.startswith("Files/") else None
                    if link is not None and key(link) in files:
                        files[k] = (name, files[key(link)][1])
                        written.add(k)

    statement = json.load(open(a.statement))
    assert statement["subject"][0]["digest"]["sha256"] == a.manifest.split(":")[1], "subject"
    doc = statement["predicate"]
    want = sorted(("./" + p, h) for p, h in files.values())
    got = sorted((f["fileName"], f["checksums"][0]["checksumValue"]) for f in doc["files"])
    for f in doc["files"]:
        assert f["checksums"][0]["algorithm"] == "SHA256", f
    if want != got:
        print("SBOM files differ from the layers':", file=sys.stderr)
        for x in sorted(set(want) - set(got)):
            print("  missing from the SBOM:", x, file=sys.stderr)
        for x in sorted(set(got) - set(want)):
            print("  not in the layers:    ", x, file=sys.stderr)
        sys.exit(1)
    purls = sorted(r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])
                   if p["SPDXID"] not in ("SPDXRef-Base",))
    if purls != sorted(a.purl):
        sys.exit("packages: got %s, want %s" % (purls, sorted(a.purl)))
    bases = [p for p in doc["packages"] if p["SPDXID"] == "SPDXRef-Base"]
    assert len(bases) == 1 and bases[0]["checksums"][0]["checksumValue"] == a.base_digest.split(":")[1], bases
    print("sbom: %d files, %d packages match the layers" % (len(got), len(purls)))


if __name__ == "__main__":
    main()
