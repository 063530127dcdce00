#!/usr/bin/env bash
# Cross-compiles every Windows source with mingw-w64 (x86_64-w64-mingw32-g++-posix, C++23) into
# kiln-hcs-selftest.exe and checks its import table. Filled in by the HCS work (issue 7).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
srcs=(builder/windows/*.cc layers/windows/*.cc)
if ((${#srcs[@]} == 0)); then echo "windows-check: no Windows sources yet"; exit 0; fi
echo "windows-check: not implemented" >&2
exit 1
