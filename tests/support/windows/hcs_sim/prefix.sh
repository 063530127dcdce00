#!/usr/bin/env bash
# Makes a throw-away wine prefix with the simulated HCS installed (test-only):
#   tests/support/windows/hcs_sim/prefix.sh PREFIX DLL_DIR [HOST_BUILD] [ws2019]
# - DLL_DIR/{computecore,vmcompute,computestorage}.dll (build.sh) go into System32, where kiln
#   loads them from (LoadLibraryExW with LOAD_LIBRARY_SEARCH_SYSTEM32); with "ws2019",
#   DLL_DIR/ws2019/computecore.dll (no HcsWaitForProcessExit) instead;
# - a "vmcompute" service entry (never started), which kiln's pre-flight looks for, and a "vmms"
#   one (the Hyper-V role, asked for when Hyper-V isolation may be used); HCSSIM_HYPERV=0 leaves
#   vmms out (removes it), a host without the role;
# - the reported Windows build: wine's RtlGetVersion reads HKLM\...\Windows NT\CurrentVersion
#   (CurrentVersion "10.0", CurrentBuildNumber HOST_BUILD, default 20348; UBR 2340) when no
#   HKCU\Software\Wine "Version" is set;
# - the container drive: dosdevices/k: -> drive_c/hcssim/drive (HCSSIM_DRIVE, HCSSIM_STATE
#   default to K and C:\hcssim to match).
# Needs wine (Debian's wine64). Prints nothing on success.
set -euo pipefail
prefix=${1:?usage: prefix.sh PREFIX DLL_DIR [HOST_BUILD] [ws2019]}
dlls=${2:?DLL_DIR}
build=${3:-20348}
flavour=${4:-}
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'
wine=${WINE:-wine}
if [[ ! -d $prefix/drive_c/windows/system32 ]]; then
  "$wine" wineboot -i >/dev/null 2>&1
fi
sys32=$prefix/drive_c/windows/system32
cp "$dlls/vmcompute.dll" "$dlls/computestorage.dll" "$sys32/"
if [[ $flavour == ws2019 ]]; then
  cp "$dlls/ws2019/computecore.dll" "$sys32/computecore.dll"
else
  cp "$dlls/computecore.dll" "$sys32/computecore.dll"
fi
key='HKLM\Software\Microsoft\Windows NT\CurrentVersion'
svc='HKLM\System\CurrentControlSet\Services\vmcompute'
vmms='HKLM\System\CurrentControlSet\Services\vmms'
new_service=0
"$wine" reg query "$svc" /v ImagePath >/dev/null 2>&1 || new_service=1
have_vmms=0
"$wine" reg query "$vmms" /v ImagePath >/dev/null 2>&1 && have_vmms=1
want_vmms=1
[[ ${HCSSIM_HYPERV:-1} == 0 ]] && want_vmms=0
{
  "$wine" reg delete 'HKCU\Software\Wine' /v Version /f || true
  "$wine" reg add "$key" /v CurrentVersion /d 10.0 /f
  "$wine" reg add "$key" /v CurrentBuildNumber /d "$build" /f
  "$wine" reg add "$key" /v CurrentBuild /d "$build" /f
  "$wine" reg add "$key" /v CurrentMajorVersionNumber /t REG_DWORD /d 10 /f
  "$wine" reg add "$key" /v CurrentMinorVersionNumber /t REG_DWORD /d 0 /f
  "$wine" reg add "$key" /v UBR /t REG_DWORD /d 2340 /f
  if ((new_service)); then
    "$wine" reg add "$svc" /v Type /t REG_DWORD /d 16 /f
    "$wine" reg add "$svc" /v Start /t REG_DWORD /d 3 /f
    "$wine" reg add "$svc" /v ErrorControl /t REG_DWORD /d 1 /f
    "$wine" reg add "$svc" /v ImagePath /t REG_EXPAND_SZ /d 'C:\windows\system32\vmcompute.exe' /f
  fi
  if ((want_vmms && !have_vmms)); then
    "$wine" reg add "$vmms" /v Type /t REG_DWORD /d 16 /f
    "$wine" reg add "$vmms" /v Start /t REG_DWORD /d 3 /f
    "$wine" reg add "$vmms" /v ErrorControl /t REG_DWORD /d 1 /f
    "$wine" reg add "$vmms" /v ImagePath /t REG_EXPAND_SZ /d 'C:\windows\system32\vmms.exe' /f
  elif ((!want_vmms && have_vmms)); then
    "$wine" reg delete "$vmms" /f
  fi
} >/dev/null 2>&1
if ((new_service || want_vmms != have_vmms)); then
  # services.exe reads its list when it starts: stop this prefix's wine so the next start sees it.
  WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
  WINEPREFIX=$prefix wineserver -w 2>/dev/null || true
fi
mkdir -p "$prefix/drive_c/hcssim"
ln -sfn ../drive_c/hcssim/drive "$prefix/dosdevices/k:"
