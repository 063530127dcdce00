#!/usr/bin/env bash
# The import-table check of `make windows-check` rejects a Windows program that links an HCS DLL
# at load time and accepts one that does not (two tiny programs built with mingw-w64).
set -euo pipefail
src=${KILN_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/direct.c" <<'C'
#include <windows.h>
#include <computecore.h>
int main(void) { HcsCloseOperation(HcsCreateOperation(0, 0)); return 0; }
C
cat >"$work/runtime.c" <<'C'
#include <windows.h>
int main(void) {
  HMODULE m = LoadLibraryExW(L"computecore.dll", 0, LOAD_LIBRARY_SEARCH_SYSTEM32);
  return m && GetProcAddress(m, "HcsCreateOperation") ? 0 : 1;
}
C
x86_64-w64-mingw32-gcc "$work/direct.c" -o "$work/direct.exe" -lcomputecore
x86_64-w64-mingw32-gcc "$work/runtime.c" -o "$work/runtime.exe"
if "$src/scripts/windows_check.sh" --check-imports "$work/direct.exe"; then
  echo "FAIL: a program importing computecore.dll passed the check" >&2
  exit 1
fi
"$src/scripts/windows_check.sh" --check-imports "$work/runtime.exe"
echo "ok"
