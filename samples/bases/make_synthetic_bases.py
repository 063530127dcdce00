#!/usr/bin/env python3
"""Writes samples/bases/nanoserver: a SYNTHETIC stand-in for mcr.microsoft.com/windows/nanoserver
as an OCI image layout, for offline demos and tests. It is NOT Windows: the "binaries" are text.

Shape copied from the real images (windows-layer-format.md 2.2, 1.9): every tag is an index
with one entry carrying os.version (OCI media types, which OCI-layout readers such as skopeo
require; MCR serves the Docker equivalents); one gzip'd base layer of Files/... with
MSWINDOWS.* PAX records and no Hives; a config with os=windows, os.version and cmd.exe as Cmd.
Tags: ltsc2022 (10.0.20348.2966), 1809 and ltsc2019 (10.0.17763.6659), and "multi" (both).
Written with Python's tarfile (an independent tar writer, as real base layers come from
Microsoft's tooling, not kiln). Deterministic: same bytes on every run.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z
# O:BAG:BA self-relative SD (Administrators), windows-layer-format.md 1.6
SD_ADMIN = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAgAgAAAQIAAAAAAAUgAAAAIAIAAA=="
LABEL = "io.kiln.synthetic-base"
NOTE = ("Synthetic stand-in for mcr.microsoft.com/windows/nanoserver made by kiln's "
        "samples/bases/make_synthetic_bases.py. Not Windows; for offline demos and tests only.\n")

VERSIONS = {"10.0.20348.2966": ["ltsc2022"], "10.0.17763.6659": ["1809", "ltsc2019"]}


def entry(name, kind, data=b"", attrs=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o40755 & 0o7777
        fileattr = "16"
    else:
        ti.type = tarfile.REGTYPE
        ti.mode = 0o644
        ti.size = len(data)
        fileattr = "32"
    ti.pax_headers = {
        "MSWINDOWS.fileattr": attrs or fileattr,
        "MSWINDOWS.rawsd": SD_ADMIN,
        "LIBARCHIVE.creationtime": str(MTIME),
        "mtime": str(MTIME), "atime": str(MTIME), "ctime": str(MTIME),
    }
    return ti, (io.BytesIO(data) if kind == "file" else None)


def base_layer(version):
    files = [
        ("Files", "dir", b""),
        ("Files/License.txt", "file", NOTE.encode()),
        ("Files/ProgramData", "dir", b""),
        ("Files/Users", "dir", b""),
        ("Files/Users/Public", "dir", b""),
        ("Files/Windows", "dir", b""),
        ("Files/Windows/System32", "dir", b""),
        ("Files/Windows/System32/cmd.exe", "file",
         ("synthetic cmd.exe for Windows " + version + " (not a real binary)\n").encode()),
        ("Files/Windows/System32/config", "dir", b""),
        ("Files/Windows/System32/config/DEFAULT", "file", b""),
        ("Files/Windows/System32/config/SAM", "file", b""),
        ("Files/Windows/System32/config/SECURITY", "file", b""),
        ("Files/Windows/System32/config/SOFTWARE", "file", b""),
        ("Files/Windows/System32/config/SYSTEM", "file", b""),
        ("Files/Windows/System32/drivers", "dir", b""),
        ("Files/Windows/System32/drivers/etc", "dir", b""),
        ("Files/Windows/System32/drivers/etc/hosts", "file", b"127.0.0.1 localhost\r\n"),
        ("Files/Windows/Temp", "dir", b""),
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, data in files:
            ti, body = entry(name, kind, data)
            tf.addfile(ti, body)
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(tar)
    return tar, gz.getvalue()


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def put(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)


def canon(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode()


def main(out):
    if os.path.exists(out):
        shutil.rmtree(out)
    lay = Layout(out)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write(NOTE)
    entries = {}
    for version in VERSIONS:
        tar, blob = base_layer(version)
        diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
        layer_digest, layer_size = lay.put(blob)
        config = {
            "architecture": "amd64",
            "os": "windows",
            "os.version": version,
            "config": {"Cmd": ["c:\\windows\\system32\\cmd.exe"], "Labels": {LABEL: "true"}},
            "created": "2024-01-01T00:00:00Z",
            "history": [{"created": "2024-01-01T00:00:00Z",
                         "created_by": "Apply image " + version + " (synthetic)"}],
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
        cfg_digest, cfg_size = lay.put(canon(config))
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "size": cfg_size, "digest": cfg_digest},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "size": layer_size, "digest": layer_digest}],
        }
        m_digest, m_size = lay.put(canon(manifest))
        entries[version] = {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "size": m_size, "digest": m_digest,
            "platform": {"architecture": "amd64", "os": "windows", "os.version": version},
        }

    def manifest_list(versions):
        lst = {"schemaVersion": 2,
               "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [entries[v] for v in versions]}
        d, s = lay.put(canon(lst))
        return {"mediaType": lst["mediaType"], "digest": d, "size": s}

    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    for version, tags in VERSIONS.items():
        desc = manifest_list([version])
        for tag in tags:
            index["manifests"].append(dict(desc, annotations={
                "org.opencontainers.image.ref.name": tag}))
    multi = manifest_list(list(VERSIONS))
    index["manifests"].append(dict(multi, annotations={"org.opencontainers.image.ref.name": "multi"}))
    with open(os.path.join(out, "index.json"), "wb") as f:
        f.write(canon(index))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "nanoserver"))
