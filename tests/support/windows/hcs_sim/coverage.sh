#!/usr/bin/env bash
# Which *_win.cc functions the wine suite executes (issue 14 item 4's list), measured with gcov:
#   tests/support/windows/hcs_sim/coverage.sh [BUILD_WINDOWS_DIR]
# Recompiles every *_win.cc file with --coverage against the archive scripts/windows_check.sh
# left in BUILD_WINDOWS_DIR (default build-windows: libkiln-windows.a, include/), links an
# instrumented kiln-hcs-selftest.exe in BUILD_WINDOWS_DIR/coverage, runs
# tests/scripts/windows_hcs_sim_test.sh with it under wine (gcov writes its .gcda files through
# GCOV_PREFIX=Z:, wine's drive for /) and prints RUN/NO per function (compiler-generated
# destructor variants and the Resolve() lambdas left out). Build-only files that the self-test
# does not link (layers/windows/snapshotter_factory_win.cc) are listed as NOT LINKED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
win=$(cd "${1:-$repo/build-windows}" && pwd)
cov=$win/coverage
CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++-posix}
GCOV=${MINGW_GCOV:-x86_64-w64-mingw32-gcov}
deps=$(grep -o -- '-isystem [^ ]*' "$win/test_env.rsp" 2>/dev/null || true)
[[ -f $win/libkiln-windows.a ]] || { echo "coverage: $win/libkiln-windows.a missing (make windows-check)" >&2; exit 1; }
rm -rf "$cov"; mkdir -p "$cov/obj"
cd "$repo"
win_srcs=(builder/windows/computecore_api_win.cc builder/windows/executor_factory_win.cc
          layers/windows/vmcompute_layer_api_win.cc layers/windows/win32_host_api_win.cc
          layers/windows/win32_layer_fs_win.cc layers/windows/win32_util_win.cc)
inc=(-I. -I"$win/include")
for d in /var/cache/kiln/windeps/*/include; do [[ -d $d ]] && inc+=(-isystem "$d"); done
cp "$win/libkiln-windows.a" "$cov/lib.a"
for s in "${win_srcs[@]}" builder/windows/selftest/hcs_selftest_main_win.cc; do
  "$CXX" -std=c++23 -O0 --coverage "${inc[@]}" -c "$s" -o "$cov/obj/$(basename "$s" .cc).o" &
done
wait
x86_64-w64-mingw32-ar d "$cov/lib.a" $(for s in "${win_srcs[@]}"; do echo "${s//\//_}.o"; done)
"$CXX" -std=c++23 -static -municode --coverage -o "$cov/kiln-hcs-selftest.exe" "$cov"/obj/*.o \
  "$cov/lib.a" -ladvapi32
mkdir -p "$cov/hcs_sim" && cp -p "$win"/hcs_sim/*.dll "$cov/hcs_sim/" 2>/dev/null || true
cp -rp "$win/hcs_sim/ws2019" "$cov/hcs_sim/" 2>/dev/null || true
GCOV_PREFIX=Z: KILN_SOURCE_DIR=$repo KILN_WINDOWS_BUILD=$cov \
  bash tests/scripts/windows_hcs_sim_test.sh >"$cov/test.log" 2>&1 || { cat "$cov/test.log"; exit 1; }
cd "$cov"
for s in "${win_srcs[@]}"; do "$GCOV" -j -o "obj/$(basename "$s" .cc).o" "$repo/$s" >/dev/null 2>&1; done
python3 - "$repo" <<'PY'
import glob, gzip, json, sys
repo = sys.argv[1]
seen = {}
for f in sorted(glob.glob("*.gcov.json.gz")):
    for fi in json.load(gzip.open(f))["files"]:
        if not fi["file"].endswith("_win.cc"): continue
        for fn in fi["functions"]:
            name = fn["demangled_name"]
            if fn["blocks"] == 0 or ("lambda" in name and "Resolve" in name): continue
            key = (fi["file"].replace(repo + "/", ""), fn["start_line"],
                   name.replace("(anonymous namespace)", "{anon}").split("(")[0])
            seen[key] = seen.get(key, 0) + fn["execution_count"]
runs = sum(1 for v in seen.values() if v)
for (file, line, name), count in sorted(seen.items()):
    print(f"{'RUN' if count else 'NO ':3} {file}:{line} {name}")
print("NOT LINKED layers/windows/snapshotter_factory_win.cc (kiln.exe only)")
print(f"{runs} of {len(seen)} functions of the *_win.cc files ran")
PY
