#!/usr/bin/env bash
# Which *_win.cc functions the wine suites execute (issue 14 item 4's list), measured with gcov.
# A manual command, not part of `make test`:
#   tests/support/windows/hcs_sim/coverage.sh [--report] [BUILD_WINDOWS_DIR]
# Needs `make windows-check` and `make windows` in BUILD_WINDOWS_DIR (default build-windows) and
# the Linux kiln (build/kiln, or $KILN_LINUX). Everything it builds goes to BUILD_WINDOWS_DIR/coverage:
#   selftest/  an instrumented kiln-hcs-selftest.exe: every *_win.cc file of the archive
#              scripts/windows_check.sh left (libkiln-windows.a) recompiled with --coverage -O0;
#   cmake/     an instrumented kiln.exe: the CMake cross build with the toolchain file of
#              `make windows` (read from BUILD_WINDOWS_DIR/cmake/CMakeCache.txt, or
#              $KILN_WINDEPS_PREFIX/toolchain.cmake; scripts/windows_deps.sh is never run) and
#              -DKILN_WIN_COVERAGE=ON (only the *_win.cc files instrumented; the rest compiles
#              as `make windows` does, so ccache answers);
#   run/       both programs with the simulated HCS DLLs, for the two wine suites:
#              tests/scripts/windows_hcs_sim_test.sh (KILN_WINDOWS_BUILD=run: self-test and
#              kiln.exe) and tests/scripts/windows_wine_test.sh (KILN_EXE=run/kiln.exe).
# gcov writes the .gcda files through GCOV_PREFIX=Z: (wine's drive for /). The list: RUN/NO per
# function of every *_win.cc file, both programs' counts added (compiler-generated destructor
# variants and lambdas left out). A function that neither program
# links is NOT LINKED. --report: only the list, from the counts of the last run.
# Env: KILN_COVERAGE_SUITES="hcs_sim wine" (default both), JOBS (default 2).
set -euo pipefail
report_only=0
if [[ ${1:-} == --report ]]; then report_only=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
win=$(cd "${1:-$repo/build-windows}" && pwd)
cov=$win/coverage
CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++-posix}
GCOV=${MINGW_GCOV:-x86_64-w64-mingw32-gcov}
JOBS=${JOBS:-2}
linux_kiln=${KILN_LINUX:-$repo/build/kiln}
suites=${KILN_COVERAGE_SUITES:-hcs_sim wine}
start=$SECONDS
[[ -f $win/libkiln-windows.a ]] || { echo "coverage: $win/libkiln-windows.a missing (make windows-check)" >&2; exit 1; }
[[ -x $linux_kiln ]] || { echo "coverage: no Linux kiln at $linux_kiln (make, or KILN_LINUX)" >&2; exit 1; }
toolchain=""
if [[ -n ${KILN_WINDEPS_PREFIX:-} ]]; then
  toolchain=$KILN_WINDEPS_PREFIX/toolchain.cmake
elif [[ -f $win/cmake/CMakeCache.txt ]]; then
  toolchain=$(sed -n 's/^CMAKE_TOOLCHAIN_FILE:[A-Z]*=//p' "$win/cmake/CMakeCache.txt")
fi
[[ -f $toolchain ]] || { echo "coverage: no toolchain file (make windows first, or KILN_WINDEPS_PREFIX)" >&2; exit 1; }
deps=$(dirname "$toolchain")
cd "$repo"
mapfile -t all_win < <(git ls-files '*_win.cc')
if ((!report_only)); then
rm -rf "$cov/selftest" "$cov/run"
mkdir -p "$cov/selftest/obj" "$cov/run"

# --- the self-test: the archive's *_win.cc objects replaced by instrumented ones ---------------
members=$(x86_64-w64-mingw32-ar t "$win/libkiln-windows.a")
lib_win=()
for s in "${all_win[@]}"; do
  [[ $s == tests/* || $s == builder/windows/selftest/* ]] && continue
  grep -qxF "${s//\//_}.o" <<<"$members" && lib_win+=("$s")
done
printf '%s\n' "${lib_win[@]}" builder/windows/selftest/hcs_selftest_main_win.cc |
  xargs -P "$JOBS" -I{} sh -c 'o=$1/$(echo "$2" | tr / _).o; "$3" -std=c++23 -O0 --coverage -I. -I"$4/include" \
    -isystem "$5/include" -c "$2" -o "$o"' sh "$cov/selftest/obj" {} "$CXX" "$win" "$deps"
# Same member names: the link still takes from the archive only what the self-test references.
cp "$win/libkiln-windows.a" "$cov/selftest/lib.a"
(cd "$cov/selftest/obj" && x86_64-w64-mingw32-ar rs "$cov/selftest/lib.a" $(for s in "${lib_win[@]}"; do echo "${s//\//_}.o"; done))
"$CXX" -std=c++23 -static -municode --coverage -o "$cov/run/kiln-hcs-selftest.exe" \
  "$cov/selftest/obj/builder_windows_selftest_hcs_selftest_main_win.cc.o" "$cov/selftest/lib.a" -ladvapi32
echo "coverage: instrumented kiln-hcs-selftest.exe ($((SECONDS - start)) s)"

# --- kiln.exe: the CMake cross build, *_win.cc instrumented ------------------------------------
ccache=$(command -v ccache || true)
if [[ ! -f $cov/cmake/build.ninja ]]; then
  cmake -S . -B "$cov/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DKILN_WIN_COVERAGE=ON \
    ${ccache:+-DCMAKE_CXX_COMPILER_LAUNCHER=$ccache -DCMAKE_C_COMPILER_LAUNCHER=$ccache} > "$cov/cmake-configure.log" 2>&1 ||
    { cat "$cov/cmake-configure.log" >&2; exit 1; }
fi
find "$cov/cmake" -name '*.gcda' -delete
nice -n 5 cmake --build "$cov/cmake" --target kiln -j "$JOBS" > "$cov/cmake-build.log" 2>&1 ||
  { tail -40 "$cov/cmake-build.log" >&2; exit 1; }
cp "$cov/cmake/kiln.exe" "$cov/run/kiln.exe"
echo "coverage: instrumented kiln.exe ($((SECONDS - start)) s)"

# --- the wine suites ---------------------------------------------------------------------------
mkdir -p "$cov/run/hcs_sim" && cp -p "$win"/hcs_sim/*.dll "$cov/run/hcs_sim/" 2> /dev/null || true
cp -rp "$win/hcs_sim/ws2019" "$cov/run/hcs_sim/" 2> /dev/null || true
rc=0
for suite in $suites; do
  t0=$SECONDS
  case $suite in
    hcs_sim) GCOV_PREFIX=Z: KILN_SOURCE_DIR=$repo KILN_WINDOWS_BUILD=$cov/run \
               bash tests/scripts/windows_hcs_sim_test.sh "$linux_kiln" > "$cov/hcs_sim.log" 2>&1 || rc=$? ;;
    wine) GCOV_PREFIX=Z: KILN_SOURCE_DIR=$repo KILN_EXE=$cov/run/kiln.exe \
            bash tests/scripts/windows_wine_test.sh "$linux_kiln" > "$cov/wine.log" 2>&1 || rc=$? ;;
    *) echo "coverage: unknown suite $suite" >&2; exit 2 ;;
  esac
  echo "coverage: $suite suite: exit $rc ($((SECONDS - t0)) s, log $cov/$suite.log)"
  ((rc == 0)) || { tail -30 "$cov/$suite.log"; echo "coverage: the $suite suite failed" >&2; exit 1; }
done

fi

# --- gcov: one JSON per object of each program -------------------------------------------------
rm -rf "$cov/gcov"
mkdir -p "$cov/gcov/selftest" "$cov/gcov/kiln"
(cd "$cov/gcov/selftest" &&
  for o in "$cov"/selftest/obj/*.o; do "$GCOV" -j -o "$o" "$o" > /dev/null 2>&1 || true; done)
(cd "$cov/gcov/kiln" &&
  find "$cov/cmake" -name '*_win.cc.gcno' | while read -r g; do "$GCOV" -j "$g" > /dev/null 2>&1 || true; done)
python3 - "$repo" "$cov/gcov" "${all_win[@]}" <<'PY'
import glob, gzip, json, os, sys
repo, gdir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
seen, linked = {}, {}
for prog in ("selftest", "kiln"):
    for f in sorted(glob.glob(os.path.join(gdir, prog, "*.gcov.json.gz"))):
        for fi in json.load(gzip.open(f))["files"]:
            # repo-relative (self-test), or relative to the CMake build directory (kiln.exe)
            name = next((f for f in files if fi["file"] == f or fi["file"].endswith("/" + f)), None)
            if name is None: continue
            for fn in fi["functions"]:
                d = fn["demangled_name"]
                if fn["blocks"] == 0: continue
                if "lambda" in d or "{lambda" in d: continue
                key = (name, fn["start_line"], d.replace("(anonymous namespace)", "{anon}").split("(")[0])
                seen.setdefault(key, {})
                seen[key][prog] = seen[key].get(prog, 0) + fn["execution_count"]
                linked.setdefault(name, set()).add(prog)
runs = 0
for (file, line, name), counts in sorted(seen.items()):
    total = sum(counts.values())
    runs += bool(total)
    who = "+".join(p for p in ("selftest", "kiln") if counts.get(p)) or "-"
    print(f"{'RUN' if total else 'NO ':3} {file}:{line} {name} [{who}]")
for f in files:
    if f not in linked: print(f"NOT LINKED {f} (no instrumented object of either program)")
print(f"{runs} of {len(seen)} functions of the *_win.cc files ran")
PY
echo "coverage: done in $((SECONDS - start)) s"
