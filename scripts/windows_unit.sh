#!/usr/bin/env bash
# `make windows-unit` (part of `make test`, after `make windows`): the platform-neutral Catch2
# suites (core, parser, layers, registry, builder) built for Windows in the same mingw-w64 CMake
# cross build as kiln.exe (tests/windows_suites.cmake, build-windows/cmake), then run under wine
# with the spec [unit]~[posix]~[linux]~[wine] in one throw-away WINEPREFIX. Left out, each with
# its reason in a comment next to the tag: [posix] needs POSIX behaviour of the host (modes,
# fork, POSIX symlinks), [linux] tests kiln code that is Linux-only (its Windows half refuses),
# [wine] is something wine cannot do that Windows can. Fails when a suite fails to build, has a
# failing test, or ends without Catch's summary (wine reports a crash with exit code 0), and
# when wine is missing (scripts/setup.sh test installs it). Wine is not Windows: nothing here
# ran on Windows.
#
# Usage: windows_unit.sh [SUITE...]   (default: core parser layers registry builder)
# Env: WINDOWS_BUILD (default build-windows), JOBS (default 2), KILN_WINDEPS_PREFIX,
#   KILN_WINE_SPEC (default [unit]~[posix]~[linux]~[wine]), KILN_UNIT_TIMEOUT (seconds per suite,
#   default 900).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${WINDOWS_BUILD:-build-windows}
JOBS=${JOBS:-2}
SPEC=${KILN_WINE_SPEC:-'[unit]~[posix]~[linux]~[wine]'}
suites=("$@")
((${#suites[@]})) || suites=(core parser layers registry builder)

wine=""
for w in "$(command -v wine64)" /usr/lib/wine/wine64 "$(command -v wine)"; do
  if [[ -n $w && -x $w ]]; then wine=$w; break; fi
done
[[ -n $wine ]] || { echo "windows-unit: no wine64 (scripts/setup.sh test installs it)" >&2; exit 1; }

# The CMake cross build: windows_build.sh configures it (and builds kiln.exe, which the suites'
# KILN_BINARY names) when it is not there yet.
[[ -f $OUT/cmake/build.ninja ]] || scripts/windows_build.sh
start=$SECONDS
targets=(kiln)  # the suites' KILN_BINARY: builder's --print-graph tests run it
for s in "${suites[@]}"; do targets+=("kiln_${s}_tests"); done
nice -n 5 cmake --build "$OUT/cmake" --target "${targets[@]}" -j "$JOBS"
echo "windows-unit: built ${targets[*]} in $((SECONDS - start)) s"

prefix=$(mktemp -d "${TMPDIR:-/tmp}/kiln-wine-unit.XXXXXX")
# shellcheck disable=SC2064
trap "WINEPREFIX='$prefix' wineserver -k 2>/dev/null || true; rm -rf '$prefix'" EXIT
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'  # no Mono/Gecko prompt
t=$SECONDS
"$wine" wineboot --init >/dev/null 2>&1 || true
echo "windows-unit: wine prefix ready in $((SECONDS - t)) s"

failed=()
for s in "${suites[@]}"; do
  exe=$OUT/cmake/tests/kiln_${s}_tests.exe
  t=$SECONDS
  echo "windows-unit: kiln_${s}_tests.exe '$SPEC' under wine (not Windows)"
  # -w NoTests: a spec that selects nothing fails instead of passing. The test's temp dirs go to
  # the prefix's %TEMP%, removed with it.
  rc=0
  timeout -k 10 "${KILN_UNIT_TIMEOUT:-900}" "$wine" "$exe" "$SPEC" -w NoTests --use-colour no \
    > "$prefix/$s.log" 2>&1 || rc=$?
  tr -d '\r' < "$prefix/$s.log" > "$prefix/$s.txt"
  summary=$(grep -aE '^(All tests passed|test cases:)' "$prefix/$s.txt" | tail -1 || true)
  if ((rc != 0)) || [[ $summary != "All tests passed"* ]]; then
    cat "$prefix/$s.txt"
    echo "windows-unit: FAIL: kiln_${s}_tests.exe exited $rc after $((SECONDS - t)) s${summary:+: $summary}" >&2
    failed+=("$s")
    continue
  fi
  excluded=$("$wine" "$exe" "[unit][posix],[unit][linux],[unit][wine]" --list-test-names-only \
             2>/dev/null | tr -d '\r' | grep -c . || true)
  echo "windows-unit: $s: $summary; $excluded [unit] test cases left out ([posix]/[linux]/[wine]); $((SECONDS - t)) s"
done
if ((${#failed[@]})); then
  echo "windows-unit: FAIL: ${failed[*]}" >&2
  exit 1
fi
echo "windows-unit: ok: ${suites[*]} passed under wine in $((SECONDS - start)) s (wine is not Windows)"
