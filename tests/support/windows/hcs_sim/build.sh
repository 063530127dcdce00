#!/usr/bin/env bash
# Builds the simulated HCS DLLs (test-only) with mingw-w64:
#   tests/support/windows/hcs_sim/build.sh OUT_DIR
# writes OUT_DIR/computecore.dll, vmcompute.dll, computestorage.dll (Windows Server 2022+ shape)
# and OUT_DIR/ws2019/computecore.dll (no HcsWaitForProcessExit, as on Windows Server 2019).
# Statically linked (no mingw runtime DLLs). Rebuilds only what is older than its sources.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
out=${1:?usage: build.sh OUT_DIR}
CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++-posix}
command -v "$CXX" >/dev/null || { echo "hcs_sim: $CXX not found" >&2; exit 1; }
mkdir -p "$out/include" "$out/ws2019"
# nlohmann/json (header-only) from the host, without the host's other headers.
[[ -e $out/include/nlohmann ]] || ln -s /usr/include/nlohmann "$out/include/nlohmann"
flags=(-std=c++20 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$repo" -I"$out/include"
       -shared -static -static-libgcc -static-libstdc++ -s)
build() {  # dll source [extra flags]
  local dll=$1 src=$2; shift 2
  if [[ -f $dll && $dll -nt $here/$src && $dll -nt $here/hcssim.h && $dll -nt $here/build.sh ]]; then
    return 0
  fi
  "$CXX" "${flags[@]}" "$@" -o "$dll" "$here/$src"
}
build "$out/computecore.dll" computecore_sim.cc
build "$out/ws2019/computecore.dll" computecore_sim.cc -DHCSSIM_WS2019
build "$out/vmcompute.dll" vmcompute_sim.cc
build "$out/computestorage.dll" computestorage_sim.cc
