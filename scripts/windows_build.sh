#!/usr/bin/env bash
# `make windows`: cross-compiles the whole program for Windows (x86_64-w64-mingw32, C++23,
# -Werror) with CMake and the toolchain file scripts/windows_deps.sh writes next to the static
# libraries it builds from Debian's source packages, and links one static, stripped
# build-windows/kiln.exe. Then checks its import table (scripts/windows_check.sh
# --check-imports: no HCS DLL at load time). Nothing here runs on Windows; wine runs it in
# tests/scripts/windows_wine_test.sh.
#
# Env: WINDOWS_BUILD (default build-windows), JOBS (default 2), KILN_WINDEPS_PREFIX (the
# dependency prefix; default: what scripts/windows_deps.sh prints, building it when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${WINDOWS_BUILD:-build-windows}
JOBS=${JOBS:-2}
deps=${KILN_WINDEPS_PREFIX:-$(scripts/windows_deps.sh)}
[[ -f $deps/toolchain.cmake ]] || { echo "windows: no toolchain.cmake in $deps" >&2; exit 1; }
start=$SECONDS
ccache=$(command -v ccache || true)  # when installed: rebuilds in another checkout hit its cache
mkdir -p "$OUT"
if [[ ! -f $OUT/cmake/build.ninja ]] || ! grep -qF "$deps/toolchain.cmake" "$OUT/cmake/CMakeCache.txt"; then
  # -O2 as windows_check.sh: mingw's GCC 12 at -O3 reports a bogus -Wrestrict inside
  # std::string (GCC PR 105329), which -Werror makes fatal (core/reference.cc).
  cmake -S . -B "$OUT/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DCMAKE_TOOLCHAIN_FILE="$deps/toolchain.cmake" \
    ${ccache:+-DCMAKE_CXX_COMPILER_LAUNCHER=$ccache -DCMAKE_C_COMPILER_LAUNCHER=$ccache} > "$OUT/cmake-configure.log" 2>&1 ||
    { cat "$OUT/cmake-configure.log" >&2; exit 1; }
fi
nice -n 5 cmake --build "$OUT/cmake" --target kiln -j "$JOBS"
cp "$OUT/cmake/kiln.exe" "$OUT/kiln.exe"
echo "windows: linked $OUT/kiln.exe ($(stat -c %s "$OUT/kiln.exe") bytes) in $((SECONDS - start)) s"
scripts/windows_check.sh --check-imports "$OUT/kiln.exe"
