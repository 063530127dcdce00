#!/usr/bin/env python3
"""Enforces the include direction cli -> builder -> {parser, layers, registry} -> core, and that
third-party headers stay in the folder that owns them (docs/architecture.md). Exit 1 on a breach."""
import os
import re
import sys

ALLOWED = {
    "core": {"core"},
    "parser": {"parser", "core"},
    "layers": {"layers", "core"},
    "registry": {"registry", "core"},
    "builder": {"builder", "parser", "layers", "registry", "core"},
    "cli": {"cli", "builder", "parser", "layers", "registry", "core"},
}
# third-party header prefix -> folders allowed to include it
OWNED = {
    "curl/": {"registry"},
    "archive.h": {"layers"}, "archive_entry.h": {"layers"},
    "isa-l": {"layers"}, "zlib.h": {"layers"}, "zstd.h": {"layers"},
    "CLI/": {"cli"},
    "openssl/": {"core", "registry"},
}
WINDOWS_ONLY = ("windows.h", "computecore.h", "computestorage.h", "computedefs.h", "virtdisk.h",
                "winternl.h", "winbase.h", "aclapi.h", "sddl.h", "winioctl.h")
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main(root):
    bad = []
    for folder, allowed in ALLOWED.items():
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            in_windows = "/windows" in dirpath[len(root):]
            for f in files:
                if not f.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        if "_WIN32" in line and line.lstrip().startswith("#") and not in_windows:
                            bad.append(f"{rel}:{n}: #if on _WIN32 outside a windows/ folder")
                        m = INC.match(line)
                        if not m:
                            continue
                        kind, target = m.groups()
                        top = target.split("/")[0]
                        if kind == '"' and top in ALLOWED and top not in allowed:
                            bad.append(f"{rel}:{n}: {folder}/ must not include {target}")
                        for prefix, owners in OWNED.items():
                            if target.startswith(prefix) and folder not in owners:
                                bad.append(f"{rel}:{n}: {target} belongs to {'/'.join(sorted(owners))}/ only")
                        if target.lower() in WINDOWS_ONLY and not in_windows:
                            bad.append(f"{rel}:{n}: Windows header {target} outside a windows/ folder")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
