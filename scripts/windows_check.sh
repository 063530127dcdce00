#!/usr/bin/env bash
# `make windows-check`: cross-compiles every Windows source (the platform-neutral files of
# builder/windows and layers/windows, their *_win.cc files, all of core/ and parser/) with
# mingw-w64 (x86_64-w64-mingw32-g++-posix, C++23, -Werror) against the libraries that
# scripts/windows_deps.sh builds from Debian's source packages (cached; built once), and links
# kiln-hcs-selftest.exe. Then checks its import table: computecore.dll, computestorage.dll and
# vmcompute.dll must NOT be imported (kiln loads them at run time so one kiln.exe starts on
# Windows Server 2019 to 2025). The Catch2 suites for Windows are built and run under wine by
# scripts/windows_unit.sh (`make windows-unit`). Wine is not Windows: nothing here ran on Windows.
#
# `scripts/windows_check.sh --check-imports FILE.exe` runs only the import-table check.
# Env: WINDOWS_BUILD (default build-windows), MINGW_CXX, MINGW_OBJDUMP, JOBS (default 2),
# KILN_WINDEPS_CACHE (scripts/windows_deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++-posix}
OBJDUMP=${MINGW_OBJDUMP:-x86_64-w64-mingw32-objdump}
OUT=${WINDOWS_BUILD:-build-windows}
JOBS=${JOBS:-2}
for tool in "$CXX" "$OBJDUMP"; do
  if ! command -v "$tool" >/dev/null; then
    echo "windows-check: $tool not found (apt-get install g++-mingw-w64-x86-64)" >&2
    exit 1
  fi
done

# Fails when `exe` imports an HCS DLL, or an HCS function from any DLL, at load time.
check_imports() {
  local exe=$1 table imports sym
  table=$("$OBJDUMP" -p "$exe")
  imports=$(sed -n 's/^[[:space:]]*DLL Name: //p' <<<"$table" | sort -u)
  echo "windows-check: $exe imports: $(tr '\n' ' ' <<<"$imports")"
  if grep -qiE '^(computecore|computestorage|vmcompute)\.dll$' <<<"$imports"; then
    echo "windows-check: FAIL: $exe imports an HCS DLL; it must be loaded at run time" >&2
    return 1
  fi
  for sym in HcsCreateOperation HcsCreateComputeSystem HcsWaitForProcessExit HcsImportLayer \
             ImportLayer ExportLayer ActivateLayer; do
    if grep -qE "^[[:space:]]+[0-9a-f]+[[:space:]]+[0-9]+[[:space:]]+$sym\$" <<<"$table"; then
      echo "windows-check: FAIL: $exe imports $sym at load time" >&2
      return 1
    fi
  done
}

if [[ ${1:-} == --check-imports ]]; then
  check_imports "$2"
  exit
fi

shopt -s nullglob
srcs=(layers/windows/*.cc builder/windows/*.cc builder/windows/selftest/*.cc)
if ((${#srcs[@]} == 0)); then echo "windows-check: no Windows sources yet"; exit 0; fi
# core/ and parser/ whole: they build for Windows against the cached libraries (OpenSSL for
# core/digest.cc); the selftest links only what it references.
core_srcs=(core/*.cc core/windows/*_win.cc parser/*.cc)
core_srcs=("${core_srcs[@]/*_posix.cc/}")   # POSIX halves of seams: their _win.cc is in the list
core_srcs=(${core_srcs[@]})

# The Windows libraries (static, mingw-w64): OpenSSL, nlohmann/json... from windows_deps.sh.
deps=$(scripts/windows_deps.sh)
mkdir -p "$OUT/include" "$OUT/obj"
rm -f "$OUT/include/nlohmann"   # older checks linked the host's copy here; the deps have it
# ccache when installed (scripts/setup.sh test installs it): a rebuild in another checkout or
# after `make clean` hits the cache.
CCACHE=$(command -v ccache || true)
export CXX CCACHE FLAGS="-std=c++23 -O2 -Wall -Wextra -Wno-unused-parameter -Werror -I. -I$OUT/include
  -isystem $deps/include"

# Compiles one source unless its object is newer than the source, every header it used and the
# optional response file of extra flags (its third argument).
compile() {
  local src=$1 obj=$2 rsp=${3:-} dep
  if [[ -f $obj && -f $obj.d && ( -z $rsp || $obj -nt $rsp ) ]]; then
    local stale=0
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d"); do
      if [[ $dep != *: && ( ! -e $dep || $dep -nt $obj ) ]]; then stale=1; break; fi
    done
    ((stale)) || return 0
  fi
  echo "  CXX $src"
  # shellcheck disable=SC2086
  $CCACHE "$CXX" $FLAGS ${rsp:+@$rsp} -MMD -MF "$obj.d" -c "$src" -o "$obj"
}
export -f compile

for src in "${srcs[@]}" "${core_srcs[@]}"; do
  echo "$src $OUT/obj/${src//\//_}.o"
done | xargs -P "$JOBS" -L 1 bash -c 'compile "$0" "$1" "${2:-}"'
# Everything goes into one archive; the selftest links what it references, so sources that
# need more than mingw has (layer_unpack.cc: zstd/ISA-L/OpenSSL through layers/ and core/) are
# compiled and type-checked but not linked.
lib="$OUT/libkiln-windows.a"
rm -f "$lib"
main_obj=""
objs=()
for src in "${srcs[@]}" "${core_srcs[@]}"; do
  obj="$OUT/obj/${src//\//_}.o"
  if [[ $src == builder/windows/selftest/* ]]; then main_obj+=" $obj"; else objs+=("$obj"); fi
done
"${MINGW_AR:-x86_64-w64-mingw32-ar}" rcs "$lib" "${objs[@]}"

exe="$OUT/kiln-hcs-selftest.exe"
# shellcheck disable=SC2086
"$CXX" -std=c++23 -static -municode -o "$exe" $main_obj "$lib" -ladvapi32
echo "windows-check: compiled ${#srcs[@]} Windows and ${#core_srcs[@]} core/parser sources; linked $exe ($(stat -c %s "$exe") bytes)"
check_imports "$exe"

# Optional: where wine is installed (it is not a kiln dependency), run the self-test's part that
# needs no HCS: a transport folder written and read back with the real Win32 file code. Wine is
# not Windows, and HCS does not exist under it.
# setup.sh test installs wine64 (Debian's wine64 package puts its loader in /usr/lib/wine).
wine=""
for w in "$(command -v wine64)" /usr/lib/wine/wine64 "$(command -v wine)"; do
  if [[ -n $w && -x $w ]]; then wine=$w; break; fi
done
if [[ -n $wine ]]; then
  echo "windows-check: running kiln-hcs-selftest neutral under $wine (wine, not Windows)"
  WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$PWD/$OUT/wineprefix} "$wine" "$exe" neutral
  ran="the HCS-free self-test ran under wine"
else
  echo "windows-check: wine run skipped: no wine64 or wine (scripts/setup.sh test installs wine64)"
  ran="wine run skipped"
fi
echo "windows-check: ok (compiled and linked; $ran; nothing was run on Windows)"
