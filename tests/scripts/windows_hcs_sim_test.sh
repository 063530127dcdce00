#!/usr/bin/env bash
# kiln's Windows RUN path (builder/windows + layers/windows, the *_win.cc code included) run
# under wine against the simulated Host Compute Service of tests/support/windows/hcs_sim:
# mingw-built computecore.dll / vmcompute.dll / computestorage.dll in a throw-away wine prefix's
# System32, a "vmcompute" service entry, and the host build wine reports set through the prefix's
# registry. Drives build-windows/kiln-hcs-selftest.exe (make windows-check) and, when it exists,
# build-windows/kiln.exe (make windows): `kiln.exe build` of a Windows Dockerfile (WORKDIR C:\app,
# shell- and exec-form RUN, a failing RUN, --timeout), each RUN layer checked by the Linux
# kiln's `layer check`; and Hyper-V isolated RUN steps through kiln.exe (--isolation hyperv and
# auto choosing it): the simulation's calls against the fakes' golden sequence, faults, timeout,
# no Hyper-V role. KILN_HCSSIM_SUITES="selftest kiln hyperv" picks suites; KILN_HCSSIM_KEEP=1
# keeps the work folder (prefix, log) for a look.
#
# Checks: pre-flight (ok, and the process-isolation mismatch sentence for another host build);
# a shell-form RUN in WORKDIR C:\app writing out.txt, committed as a layer and seen by the next
# step; an exec-form RUN; a failing RUN (exit code, output); the step timeout; HCS refusing the
# image (HCS_E_IMAGE_MISMATCH); the Windows Server 2019 flavour (no HcsWaitForProcessExit: the
# ProcessExited callback); and after every case nothing left: no scratch or transport folder,
# no activated volume, no mounted drive, no process of the prefix but wine's own.
# Wine is not Windows and the simulation is not HCS: this runs kiln's code, it proves nothing
# about Windows hosts.
set -euo pipefail
src=${KILN_SOURCE_DIR:?}
win=${KILN_WINDOWS_BUILD:-$src/build-windows}
wine=""
for w in "$(command -v wine)" /usr/lib/wine/wine64; do
  if [[ -n $w && -x $w ]]; then wine=$w; break; fi
done
if [[ -z $wine ]]; then echo "kiln-skip: wine is not installed (scripts/setup.sh test)"; exit 77; fi
if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  echo "kiln-skip: mingw-w64 is not installed (scripts/setup.sh test)"; exit 77
fi
selftest=$win/kiln-hcs-selftest.exe
kiln_exe=$win/kiln.exe
linux_kiln=${1:-}
if [[ ! -f $selftest && ! -f $kiln_exe ]]; then
  echo "kiln-skip: neither $selftest (make windows-check) nor $kiln_exe (make windows) exists"; exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-hcssim.XXXXXX")
prefix=$work/prefix
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'
cleanup() {
  WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
  if [[ -n ${KILN_HCSSIM_KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

sim=$src/tests/support/windows/hcs_sim
dlls=$win/hcs_sim
"$sim/build.sh" "$dlls"
"$sim/prefix.sh" "$prefix" "$dlls" 20348
wineserver -p >/dev/null 2>&1 || true  # one wineserver for every call (stopped by cleanup)
state=$prefix/drive_c/hcssim
# The profile folders appear when wineboot finishes (slow under load): waited for, not assumed.
temp=""
for _ in $(seq 120); do
  temp=$(ls -d "$prefix"/drive_c/users/*/Temp 2>/dev/null | head -1 || true)
  [[ -n $temp ]] && break
  sleep 0.5
done
[[ -n $temp ]] || fail "the wine prefix has no users/*/Temp after 60 s (wineboot did not finish)"
scratch_root=$temp/kiln-selftest
store=$prefix/drive_c/store  # kiln.exe --root C:\store

# The synthetic Nano Server base (samples/bases): its Files tree as a plain folder, written as
# the base layer folder by kiln's base-layer writer (BackupWrite per entry, ProcessBaseImage).
python3 - "$src/samples/bases/nanoserver" ltsc2022 "$prefix/drive_c/basesrc" <<'PY'
import gzip, io, json, os, sys, tarfile
root, tag, dest = sys.argv[1:4]
def blob(d): return open(os.path.join(root, "blobs", *d.split(":")), "rb").read()
index = json.load(open(os.path.join(root, "index.json")))
entry = [m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag][0]
manifest = json.loads(blob(json.loads(blob(entry["digest"]))["manifests"][0]["digest"]))
with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(manifest["layers"][0]["digest"])))) as t:
    for e in t.getmembers():
        if not e.name.startswith("Files/"): continue
        p = os.path.join(dest, *e.name.split("/")[1:])
        if e.isdir(): os.makedirs(p, exist_ok=True)
        elif e.isfile():
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "wb").write(t.extractfile(e).read())
        os.utime(p, (e.mtime, e.mtime))
PY
# and one hard link (kiln-hcs-selftest base: NAME.hardlink holds the target's entry name).
echo 'Files/Windows/System32/cmd.exe' >"$prefix/drive_c/basesrc/Windows/System32/command.exe.hardlink"

# Runs the self-test; output in $work/out, $work/err (CRs dropped), exit status in $rc.
selftest() {
  rc=0
  "$wine" "$selftest" "$@" >"$work/out.raw" 2>"$work/err.raw" || rc=$?
  tr -d '\r' <"$work/out.raw" >"$work/out"
  tr -d '\r' <"$work/err.raw" >"$work/err"
}
show() { echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; }

# Nothing of a step may outlive it: scratch and transport folders, activated volumes (the
# simulation records them), the container drive, processes started in the container.
check_clean() {
  local what=$1 left
  left=$(find "$scratch_root/scratch" "$scratch_root/tmp" "$store/windowsfilter/scratch" \
    "$store/windowsfilter/tmp" "$state/volumes" -mindepth 1 2>/dev/null || true)
  [[ -z $left ]] || fail "$what: left behind: $left"
  [[ ! -e $state/drive ]] || fail "$what: the container drive is still mounted"
  # Utility VMs still running (the simulation records each with the VHDs it holds).
  left=$(find "$state/vms" -mindepth 1 2>/dev/null || true)
  [[ -z $left ]] || fail "$what: a utility VM is still running: $(cat "$state"/vms/* | head -1)"
  # Processes of this prefix (wine keeps WINEPREFIX in their environment), wine's own aside.
  local dir cmd
  for dir in /proc/[0-9]*; do
    { tr '\0' '\n' <"$dir/environ" | grep -qx "WINEPREFIX=$prefix"; } 2>/dev/null || continue
    cmd=$({ tr '\0' ' ' <"$dir/cmdline"; } 2>/dev/null || true)
    [[ -z $cmd || $cmd =~ wineserver || $cmd =~ \\system32\\(services|explorer|winedevice|plugplay|svchost|rpcss|conhost|winemenubuilder)\.exe ]] && continue
    fail "$what: process ${dir#/proc/} ($cmd) still runs in the prefix"
  done
}

selftest_suite() {
base='C:\layers\base' l1='C:\layers\l1' l2='C:\layers\l2'

mkdir -p "$prefix/drive_c/layers"
selftest base 'C:\basesrc' "$base"
[[ $rc == 0 ]] || { show; fail "writing the base layer"; }
layer=$prefix/drive_c/layers/base/Files
cmp -s "$layer/License.txt" "$prefix/drive_c/basesrc/License.txt" || fail "base layer content differs"
[[ $(stat -c %Y "$layer/License.txt") == 1704067200 ]] || fail "base layer file time not kept"
[[ $(stat -c %i "$layer/Windows/System32/cmd.exe") == $(stat -c %i "$layer/Windows/System32/command.exe") ]] ||
  fail "command.exe is not a hard link of cmd.exe"
grep -q "^vmcompute ProcessBaseImage 0x00000000" "$state/log.txt" || fail "no ProcessBaseImage"
echo "ok: base layer written through BackupWrite (wine: the simulation's), hard link, ProcessBaseImage"

# --- pre-flight: the host build wine reports, and the process-isolation rule -----------------
selftest preflight 10.0.20348.2966
[[ $rc == 0 ]] && grep -q "preflight: ok (HCS process isolation)" "$work/out" || { show; fail "preflight on a 20348 host"; }
"$sim/prefix.sh" "$prefix" "$dlls" 17763
selftest preflight 10.0.20348.2966
grep -q "this host runs Windows Server 2019 (ltsc2019/1809, build 17763) (10.0.17763.2340) but the image is for Windows Server 2022 (ltsc2022, build 20348) (10.0.20348.2966): process isolation needs a host of" "$work/err" ||
  { show; fail "no mismatch sentence for a 17763 host and a 20348 image"; }
[[ $rc == 1 ]] || fail "preflight mismatch exited $rc"
"$sim/prefix.sh" "$prefix" "$dlls" 20348
echo "ok: pre-flight reads the host build (RtlGetVersion + UBR) and applies the rule"

# --- WORKDIR C:\app, shell form, committed; the next steps see it --------------------------
selftest run --commit "$l1" "$base" -- cmd /S /C '"mkdir C:\app"'
[[ $rc == 0 ]] || { show; fail "mkdir C:\\app step"; }
check_clean "mkdir step"
selftest run --workdir 'C:\app' --commit "$l2" "$l1" "$base" -- cmd /S /C '"echo hi> out.txt"'
[[ $rc == 0 ]] && grep -q "exit code 0" "$work/out" || { show; fail "shell-form RUN in C:\\app"; }
grep -qE '^  0 00000020 +4 Files/app/out.txt$' "$work/out" || { show; fail "the diff lacks Files/app/out.txt"; }
[[ $(<"$prefix/drive_c/layers/l2/Files/app/out.txt") == $'hi\r' ]] || fail "out.txt in the committed layer is not \"hi\\r\\n\""
check_clean "shell-form step"
echo "ok: shell-form RUN in WORKDIR C:\\app wrote out.txt, exported and imported as a layer"

# --- exec form, on the committed chain --------------------------------------------------------
selftest run --exec "$l2" "$l1" "$base" -- cmd /C type 'C:\app\out.txt'
[[ $rc == 0 ]] && grep -q "^hi" "$work/out" || { show; fail "exec-form RUN did not read out.txt"; }
check_clean "exec-form step"
echo "ok: exec-form RUN reads the file the previous step wrote"

# --- a failing command: its exit code and output --------------------------------------------
selftest run "$l2" "$l1" "$base" -- cmd /S /C '"echo first line& echo last line 1>&2& exit 7"'
grep -q "exit code 7" "$work/out" && grep -q "first line" "$work/out" && grep -q "last line" "$work/err" ||
  { show; fail "failing RUN"; }
check_clean "failing step"
echo "ok: a failing RUN reports exit code 7 and its stdout/stderr lines"

# --- the step timeout ------------------------------------------------------------------------
start=$SECONDS
selftest run --timeout 2 "$base" -- cmd /S /C '"echo started& ping -n 60 127.0.0.1 >nul& echo not reached"'
grep -q "(timed out)" "$work/out" && grep -q started "$work/out" && ! grep -q "not reached" "$work/out" ||
  { show; fail "timeout"; }
((SECONDS - start < 40)) || fail "the timed-out step took $((SECONDS - start)) s"
check_clean "timed-out step"
echo "ok: --timeout 2 stops the step (and the ping it started) in $((SECONDS - start)) s"

# --- HCS refuses the image (HCS_E_IMAGE_MISMATCH in the operation's ResultError) --------------
HCSSIM_IMAGE_MISMATCH=1 selftest run "$base" -- cmd /S /C '"echo hi"'
[[ $rc == 1 ]] && grep -q "creating container kiln-selftest" "$work/err" &&
  grep -qi "0xC0370101" "$work/err" && grep -q "The container operating system does not match the host operating system" "$work/err" ||
  { show; fail "image mismatch from HCS"; }
check_clean "image mismatch"
echo "ok: HCS_E_IMAGE_MISMATCH from HcsCreateComputeSystem is reported and cleaned up"

# --- faults injected into the simulated HCS: every failure is reported and leaves nothing ------
# (HCSSIM_FAIL, hcssim.h). "@sync": the call itself fails; else its operation does.
for fault in 'HcsCreateComputeSystem@sync' 'HcsStartComputeSystem' 'HcsCreateProcess=0x80070002' \
             'ActivateLayer=0x80070522' 'ExportLayer'; do
  HCSSIM_FAIL=$fault selftest run "$l2" "$l1" "$base" -- cmd /S /C '"echo hi> C:\x.txt"'
  [[ $rc == 1 ]] && grep -q "kiln-hcs-selftest: .*(0x8" "$work/err" || { show; fail "fault $fault was not reported"; }
  check_clean "fault $fault"
done
# An operation HCS never completes: kiln's wait runs out (1 s here), it cancels the operation
# (HcsCancelOperation) and tears the container down.
HCSSIM_HANG=HcsStartComputeSystem selftest run --hcs-timeout 1000 "$base" -- cmd /S /C '"echo hi"'
[[ $rc == 1 ]] && grep -q "starting container kiln-selftest: no answer from HCS within 1 s" "$work/err" &&
  grep -q "^computecore HcsCancelOperation 0x800704C7" "$state/log.txt" || { show; fail "hung start"; }
check_clean "hung start"
# Transient ERROR_NOT_READY from ActivateLayer twice: retried, the step runs.
HCSSIM_FAIL='ActivateLayer=0x80070015*2' selftest run "$base" -- cmd /S /C '"echo retried"'
[[ $rc == 0 ]] && grep -q retried "$work/out" || { show; fail "ActivateLayer retry"; }
# HcsShutDownComputeSystem failing: kiln falls back to HcsTerminateComputeSystem.
: >"$state/log.txt"
HCSSIM_FAIL=HcsShutDownComputeSystem selftest run "$base" -- cmd /S /C '"echo stopped"'
[[ $rc == 0 ]] && grep -q "^computecore HcsTerminateComputeSystem 0x00000000" "$state/log.txt" ||
  { show; cat "$state/log.txt"; fail "shutdown -> terminate fallback"; }
check_clean "shutdown fault"
echo "ok: injected HCS and layer faults are reported and leave nothing behind; retry and terminate fallback work"

# --- Windows Server 2019 computecore.dll: no HcsWaitForProcessExit, the ProcessExited callback --
"$sim/prefix.sh" "$prefix" "$dlls" 20348 ws2019
: >"$state/log.txt"
selftest run "$l2" "$l1" "$base" -- cmd /S /C '"type C:\app\out.txt& exit 3"'
grep -q "exit code 3" "$work/out" && grep -q "^hi" "$work/out" || { show; fail "ws2019 flavour"; }
grep -q "^computecore HcsSetProcessCallback 0x00000000" "$state/log.txt" &&
  grep -q "^computecore (ProcessExited event)" "$state/log.txt" &&
  ! grep -q "HcsWaitForProcessExit" "$state/log.txt" || { cat "$state/log.txt"; fail "ws2019 flavour did not use the callback"; }
check_clean "ws2019 step"
echo "ok: without HcsWaitForProcessExit the exit comes through HcsSetProcessCallback"

}

# --- kiln.exe build (make windows) ------------------------------------------------------------
# Runs kiln.exe under wine in $src (relative paths work: wine maps the unix cwd to Z:);
# output in $work/out, $work/err (CRs dropped), status in $rc.
kiln_exe_run() {
  rc=0
  local t0=$SECONDS
  (cd "$src" && "$wine" "$kiln_exe" --root 'C:\store' --progress plain "$@") \
    >"$work/out.raw" 2>"$work/err.raw" || rc=$?
  echo "$((SECONDS - t0)) ${HCSSIM_FAIL:-} $*" >>"$work/times"
  tr -d '\r' <"$work/out.raw" >"$work/out"
  tr -d '\r' <"$work/err.raw" >"$work/err"
}
winpath() { local p=$1; echo "Z:${p//\//\\}"; }

kiln_suite() {
  local ctx=$work/ctx base_ctx=mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://samples/bases/nanoserver:ltsc2022
  mkdir -p "$ctx"
  "$sim/prefix.sh" "$prefix" "$dlls" 20348
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
WORKDIR C:\app
RUN cmd /S /C "echo hi> out.txt"
RUN ["cmd", "/S", "/C", "type out.txt && echo exec-form> exec.txt"]
DOCKERFILE
  kiln_exe_run build -t hcssim:ok --build-context "$base_ctx" \
    -o "type=oci,dest=$(winpath "$work/oci")" "$(winpath "$ctx")"
  [[ $rc == 0 ]] || { show; fail "kiln.exe build with two RUN steps"; }
  grep -qw "hi" "$work/out" "$work/err" || { show; fail "the exec-form RUN did not print out.txt"; }
  check_clean "kiln.exe build"
  # Every layer above the base: a valid Windows layer (the Linux kiln checks it), holding what
  # the steps wrote.
  python3 - "$work/oci" >"$work/layers" <<'PY'
import json, os, sys
root = sys.argv[1]
def blob(d): return os.path.join(root, "blobs", *d.split(":"))
doc = json.load(open(os.path.join(root, "index.json")))
while "manifests" in doc:
    doc = json.load(open(blob(doc["manifests"][0]["digest"])))
for layer in doc["layers"][1:]:
    print(blob(layer["digest"]))
PY
  [[ $(wc -l <"$work/layers") -ge 2 ]] || fail "the image has fewer than two layers above the base"
  local blob n=0
  while read -r blob; do
    n=$((n + 1))
    if [[ -n $linux_kiln ]]; then
      "$linux_kiln" layer check "$blob" >"$work/check" 2>&1 || { cat "$work/check"; fail "layer $n fails kiln layer check"; }
    fi
    tar --warning=no-unknown-keyword -tzf "$blob" >>"$work/names"
  done <"$work/layers"
  grep -qx "Files/app/out.txt" "$work/names" && grep -qx "Files/app/exec.txt" "$work/names" ||
    { cat "$work/names"; fail "the RUN layers lack Files/app/out.txt or exec.txt"; }
  echo "ok: kiln.exe build: WORKDIR C:\\app, shell- and exec-form RUN; $n layers pass kiln layer check"

  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
RUN cmd /S /C "echo first words& echo last words& exit 3"
DOCKERFILE
  kiln_exe_run build -t hcssim:fail --build-context "$base_ctx" "$(winpath "$ctx")"
  [[ $rc == 1 ]] && grep -q "Dockerfile:3" "$work/err" && grep -q "3" "$work/err" &&
    grep -q "last words" "$work/out" "$work/err" || { show; fail "failing RUN under kiln.exe"; }
  check_clean "kiln.exe failing RUN"
  echo "ok: kiln.exe build: a failing RUN reports its exit code, location and last lines"

  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
RUN ping -n 60 127.0.0.1
DOCKERFILE
  local start=$SECONDS
  kiln_exe_run build --timeout 2 -t hcssim:slow --build-context "$base_ctx" "$(winpath "$ctx")"
  [[ $rc == 1 ]] && grep -qi "time" "$work/err" || { show; fail "--timeout under kiln.exe"; }
  ((SECONDS - start < 60)) || fail "the timed-out build took $((SECONDS - start)) s"
  check_clean "kiln.exe --timeout"
  echo "ok: kiln.exe build --timeout 2 stops the step in $((SECONDS - start)) s"

  # RUN --mount=type=cache has no Windows implementation (builder/windows/cache_mount_win.cc):
  # one line naming the step, and the prepared scratch is removed.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
RUN --mount=type=cache,target=C:\cache cmd /S /C "echo cached> C:\cache\x.txt"
DOCKERFILE
  kiln_exe_run build -t hcssim:cache --build-context "$base_ctx" "$(winpath "$ctx")"
  [[ $rc != 0 ]] && grep -q "^Dockerfile:2:1: RUN --mount=type=cache is not supported on a Windows host$" "$work/err" ||
    { show; fail "RUN --mount=type=cache under kiln.exe (exit $rc)"; }
  check_clean "kiln.exe cache mount"
  echo "ok: kiln.exe build: RUN --mount=type=cache is refused in one line, nothing left"
}

# --- Hyper-V isolation through kiln.exe (a utility VM per RUN step) ----------------------------
# The sample bases have no UtilityVM; real nanoserver/servercore base layers do. This writes an OCI
# layout of both sample tags with UtilityVM/Files (a boot manager file and a boot store) added to
# the base layer, as a base layer holds it.
make_uvm_base() {
  python3 - "$src/samples/bases/nanoserver" "$1" <<'PY'
import copy, gzip, hashlib, io, json, os, sys, tarfile
src, dest = sys.argv[1:3]
def blob(d): return open(os.path.join(src, "blobs", *d.split(":")), "rb").read()
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    p = os.path.join(dest, "blobs", "sha256", d[7:])
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data)
    return d
os.makedirs(dest, exist_ok=True)
open(os.path.join(dest, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
top = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
for e in json.load(open(os.path.join(src, "index.json")))["manifests"]:
    tag = e["annotations"]["org.opencontainers.image.ref.name"]
    if tag not in ("ltsc2019", "ltsc2022"): continue
    inner = json.loads(blob(e["digest"]))
    m = json.loads(blob(inner["manifests"][0]["digest"]))
    cfg = json.loads(blob(m["config"]["digest"]))
    old = tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(m["layers"][0]["digest"]))))
    members = old.getmembers()
    dir_proto = next(x for x in members if x.isdir())
    file_proto = next(x for x in members if x.isfile())
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for x in members:
            t.addfile(x, old.extractfile(x) if x.isfile() else None)
        for name in ["UtilityVM", "UtilityVM/Files", "UtilityVM/Files/EFI",
                     "UtilityVM/Files/EFI/Microsoft", "UtilityVM/Files/EFI/Microsoft/Boot"]:
            d = copy.copy(dir_proto); d.name = name; d.pax_headers = dict(dir_proto.pax_headers)
            t.addfile(d)
        for name, data in [("bootmgfw.efi", b"synthetic boot manager (not Windows)\r\n"),
                           ("BCD", b"synthetic boot store (not Windows)\r\n")]:
            f = copy.copy(file_proto); f.name = "UtilityVM/Files/EFI/Microsoft/Boot/" + name
            f.size = len(data); f.pax_headers = dict(file_proto.pax_headers)
            t.addfile(f, io.BytesIO(data))
    raw = out.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g: g.write(raw)
    layer = put(gz.getvalue())
    cfg["rootfs"]["diff_ids"] = ["sha256:" + hashlib.sha256(raw).hexdigest()]
    cfg_data = json.dumps(cfg).encode()
    m["config"] = dict(m["config"], digest=put(cfg_data), size=len(cfg_data))
    m["layers"] = [dict(m["layers"][0], digest=layer, size=len(gz.getvalue()))]
    m_data = json.dumps(m).encode()
    inner["manifests"][0] = dict(inner["manifests"][0], digest=put(m_data), size=len(m_data))
    i_data = json.dumps(inner).encode()
    top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                             "digest": put(i_data), "size": len(i_data),
                             "annotations": {"org.opencontainers.image.ref.name": tag}})
json.dump(top, open(os.path.join(dest, "index.json"), "w"))
PY
}

# The RUN layers of an OCI layout written by kiln.exe (above the base), one blob path per line.
run_layers() {
  python3 - "$1" <<'PY'
import json, os, sys
root = sys.argv[1]
def blob(d): return os.path.join(root, "blobs", *d.split(":"))
doc = json.load(open(os.path.join(root, "index.json")))
while "manifests" in doc:
    doc = json.load(open(blob(doc["manifests"][0]["digest"])))
for layer in doc["layers"][1:]:
    print(blob(layer["digest"]))
PY
}

# The simulation's call log as the golden Hyper-V sequence of the fakes writes it
# (tests/builder/testdata/hcs/hyperv_run_sequence.txt): the golden's calls only, each create
# marked vm/container, each modify with its guest resource type; GetLayerMountPath's two DLL
# calls (length, then path) are one call of kiln's LayerApi. ClosePipe lines of the golden are
# kiln closing its pipe handles, which the simulation cannot see: left out on both sides.
project_golden() {
  grep -v '^ClosePipe ' | awk '
    { fn = $1; rest = $0; sub(/^[^ ]+ ?/, "", rest) }
    fn == "HcsCreateComputeSystem" { print fn " " (rest ~ /@vm$/ ? "vm" : "container"); next }
    fn == "HcsModifyComputeSystem" { print fn " " rest; next }
    { print fn }'
}
project_simlog() {
  local names
  names=$(project_golden <"$src/tests/builder/testdata/hcs/hyperv_run_sequence.txt" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
  awk -v names="$names" '
    BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    !($2 in want) { next }
    $2 == "GetLayerMountPath" && last == "GetLayerMountPath" { next }
    { last = $2 }
    $2 == "HcsCreateComputeSystem" { print $2 " " ($4 == "utility" ? "vm" : "container"); next }
    $2 == "HcsModifyComputeSystem" { print $2 " " $4; next }
    { print $2 }' "$state/log.txt"
}

hyperv_suite() {
  local ctx=$work/hvctx base=$work/uvmbase meta=$work/meta.json
  local base_ctx19 base_ctx22
  make_uvm_base "$base"
  base_ctx19="mcr.microsoft.com/windows/nanoserver:ltsc2019=oci-layout://$(winpath "$base"):ltsc2019"
  base_ctx22="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$(winpath "$base"):ltsc2022"
  mkdir -p "$ctx"
  "$sim/prefix.sh" "$prefix" "$dlls" 20348
  printf 'hello from the build context\r\n' >"$ctx/hello.txt"

  # auto on a Windows Server 2022 host (20348) with an ltsc2019 image (17763): process isolation
  # is refused (different builds), Hyper-V isolation allowed (image build <= host build).
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
COPY hello.txt C:\app\hello.txt
RUN echo hyper-v step> C:\app\hv.txt && type C:\app\hello.txt
DOCKERFILE
  : >"$state/log.txt"
  kiln_exe_run build -t hcssim:hv-auto --build-context "$base_ctx19" --metadata-file "$(winpath "$meta")" \
    -o "type=oci,dest=$(winpath "$work/hv-oci")" "$(winpath "$ctx")"
  [[ $rc == 0 ]] || { show; tail -40 "$state/log.txt"; fail "kiln.exe build --isolation auto (Hyper-V) of an ltsc2019 image on a 20348 host"; }
  grep -q "RUN steps of windows/amd64:10.0.17763.6659: Hyper-V isolation (a utility VM per step)" "$work/out" "$work/err" ||
    { show; fail "the progress output does not show Hyper-V isolation"; }
  grep -q '"kiln.windows.isolation": *"hyperv"' "$meta" || { cat "$meta"; fail "--metadata-file lacks kiln.windows.isolation hyperv"; }
  grep -q "hello from the build context" "$work/out" "$work/err" || { show; fail "the Hyper-V RUN's output was not shown"; }
  check_clean "kiln.exe Hyper-V build (auto)"
  # The call sequence against the fakes' golden.
  project_golden <"$src/tests/builder/testdata/hcs/hyperv_run_sequence.txt" >"$work/golden.seq"
  project_simlog >"$work/sim.seq"
  diff -u "$work/golden.seq" "$work/sim.seq" >"$work/seq.diff" ||
    { cat "$work/seq.diff"; fail "the simulated HCS saw another Hyper-V call sequence than the golden"; }
  # The utility VM image: ProcessUtilityImage ran on the base layer's UtilityVM after the boot
  # store was saved as bcd.bak (before processing changed it).
  local layer_dir
  layer_dir=$(dirname "$(find "$store/windowsfilter/layers" -path '*/UtilityVM/SystemTemplate.vhdx' | head -1)")/..
  [[ -f $layer_dir/UtilityVM/SystemTemplate.vhdx ]] || fail "no base layer with a processed UtilityVM"
  [[ $(tr -d '\r' <"$layer_dir/bcd.bak") == "synthetic boot store (not Windows)" ]] ||
    fail "bcd.bak does not hold the boot store as imported"
  grep -q "processed by ProcessUtilityImage" "$layer_dir/UtilityVM/Files/EFI/Microsoft/Boot/BCD" ||
    fail "the boot store was not processed"
  local blob n=0
  : >"$work/hv-names"
  while read -r blob; do
    n=$((n + 1))
    if [[ -n $linux_kiln ]]; then
      "$linux_kiln" layer check "$blob" >"$work/check" 2>&1 || { cat "$work/check"; fail "Hyper-V image layer $n fails kiln layer check"; }
    fi
    tar --warning=no-unknown-keyword -tzf "$blob" >>"$work/hv-names"
  done < <(run_layers "$work/hv-oci")
  grep -qx "Files/app/hv.txt" "$work/hv-names" || { cat "$work/hv-names"; fail "the Hyper-V RUN layer lacks Files/app/hv.txt"; }
  ! grep -q "^UtilityVM" "$work/hv-names" || fail "a RUN layer carries UtilityVM entries"
  tar --warning=no-unknown-keyword -xzf "$(run_layers "$work/hv-oci" | tail -1)" -O Files/app/hv.txt | grep -q "hyper-v step" ||
    fail "hv.txt in the RUN layer does not hold what the step wrote"
  echo "ok: kiln.exe build --isolation auto picks Hyper-V for ltsc2019 on a 20348 host; the RUN went through the utility VM path of the simulated HCS ($(wc -l <"$work/sim.seq") calls, the golden sequence); $n layers pass kiln layer check; nothing left"

  # --isolation hyperv where process isolation would do (ltsc2022 image on a 20348 host).
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
WORKDIR C:\app
RUN echo forced> forced.txt
DOCKERFILE
  kiln_exe_run build --isolation hyperv -t hcssim:hv-forced --build-context "$base_ctx22" \
    --metadata-file "$(winpath "$meta")" -o "type=oci,dest=$(winpath "$work/hv-oci2")" "$(winpath "$ctx")"
  [[ $rc == 0 ]] || { show; fail "kiln.exe build --isolation hyperv"; }
  grep -q "Hyper-V isolation (a utility VM per step)" "$work/out" "$work/err" && grep -q '"kiln.windows.isolation": *"hyperv"' "$meta" ||
    { show; cat "$meta"; fail "--isolation hyperv was not used"; }
  check_clean "kiln.exe --isolation hyperv"
  blob=$(run_layers "$work/hv-oci2" | tail -1)
  [[ -z $linux_kiln ]] || "$linux_kiln" layer check "$blob" >"$work/check" 2>&1 || { cat "$work/check"; fail "the forced Hyper-V layer fails kiln layer check"; }
  tar --warning=no-unknown-keyword -xzf "$blob" -O Files/app/forced.txt | grep -q forced || fail "forced.txt is not in the RUN layer"
  echo "ok: kiln.exe build --isolation hyperv (ltsc2022 on 20348) runs the step in a utility VM"

  # auto on a Windows Server 2025 host (26100) with the ltsc2022 image: containerd/platforms rc.5
  # lets process isolation run 20348 images there, so auto picks it; the base's UtilityVM is
  # not used (no utility VM, no GrantVmAccess).
  "$sim/prefix.sh" "$prefix" "$dlls" 26100
  : >"$state/log.txt"
  kiln_exe_run build --no-cache -t hcssim:p-2025 --build-context "$base_ctx22" --metadata-file "$(winpath "$meta")" "$(winpath "$ctx")"
  [[ $rc == 0 ]] && grep -q "RUN steps of windows/amd64:10.0.20348.2966: process isolation" "$work/out" "$work/err" &&
    grep -q '"kiln.windows.isolation": *"process"' "$meta" && ! grep -q "GrantVmAccess\|utility VM" "$state/log.txt" ||
    { show; cat "$meta"; fail "auto on a 26100 host with an ltsc2022 image did not pick process isolation"; }
  check_clean "auto, process isolation on 26100"
  "$sim/prefix.sh" "$prefix" "$dlls" 20348
  echo "ok: auto on a 26100 host picks process isolation for the ltsc2022 image (rc.5 rule), on a base with UtilityVM"

  # --hyperv-memory and --hyperv-cpus reach the utility VM document: memory rounded up to an even
  # number of MB, processors capped at the host's (the simulation refuses more).
  local cpus
  cpus=$(nproc); ((cpus > 8)) && cpus=8
  : >"$state/log.txt"
  kiln_exe_run build --no-cache --isolation hyperv --hyperv-memory 3001 --hyperv-cpus 8 -t hcssim:hv-size \
    --build-context "$base_ctx22" "$(winpath "$ctx")"
  [[ $rc == 0 ]] && grep -q "^computecore HcsCreateComputeSystem 0x00000000 utility VM .*, 3002 MB, $cpus processors," "$state/log.txt" ||
    { show; grep HcsCreateComputeSystem "$state/log.txt"; fail "--hyperv-memory 3001 --hyperv-cpus 8 did not give 3002 MB and $cpus processors"; }
  check_clean "--hyperv-memory/--hyperv-cpus"
  echo "ok: --hyperv-memory 3001 --hyperv-cpus 8 give the utility VM 3002 MB and $cpus processors (the host's)"

  # A failing Hyper-V RUN: exit code, location, last lines; the VM and the scratch go.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
RUN echo vm first words& echo vm last words& exit 5
DOCKERFILE
  kiln_exe_run build -t hcssim:hv-fail --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc == 1 ]] && grep -q "^Dockerfile:2:1: .*failed with exit code 5" "$work/err" &&
    grep -q "vm last words" "$work/out" "$work/err" || { show; fail "failing Hyper-V RUN under kiln.exe"; }
  check_clean "kiln.exe failing Hyper-V RUN"
  echo "ok: a failing Hyper-V RUN reports its exit code, location and last lines; nothing left"

  # Faults in the Hyper-V part of the sequence: reported, and nothing is left.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
RUN echo never> C:\never.txt
DOCKERFILE
  # Each with the sentence kiln reports: lending the scratch (UnprepareLayer is the loan's first),
  # granting, the utility VM's start, the guest's disk mount, the hosted container's creation
  # (the second create), and giving the scratch back (the second ActivateLayer / PrepareLayer).
  local fault want
  while IFS='|' read -r fault want; do
    HCSSIM_FAIL=$fault kiln_exe_run build -t hcssim:hv-fault --build-context "$base_ctx19" "$(winpath "$ctx")"
    [[ $rc == 1 ]] && grep -q "^Dockerfile:2:1: $want" "$work/err" ||
      { show; fail "fault $fault in a Hyper-V step: no \"$want\" (exit $rc)"; }
    check_clean "Hyper-V fault $fault"
  done <<'FAULTS'
UnprepareLayer*1|UnprepareLayer: failed (0x80004005)
GrantVmAccess=0x80070005|GrantVmAccess: access denied
HcsStartComputeSystem*1|starting utility VM kiln-.*@vm: failed (0x80004005)
HcsModifyComputeSystem|mounting the scratch disk in the utility VM: failed
HcsCreateComputeSystem+1*1@sync|creating container kiln-[^@]*: failed (0x80004005)
ActivateLayer+1*1|ActivateLayer (giving the scratch back after the utility VM): failed
PrepareLayer+1*1|PrepareLayer (giving the scratch back after the utility VM): failed
FAULTS
  echo "ok: faults while lending the scratch, granting, starting the VM, mounting, creating the hosted container and giving the scratch back are reported and leave nothing"

  # The step timeout: the process is terminated, then the container, the VM, the scratch loan.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
RUN echo started& ping -n 60 127.0.0.1 >nul& echo not reached
DOCKERFILE
  local start=$SECONDS
  kiln_exe_run build --timeout 2 -t hcssim:hv-slow --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc == 1 ]] && grep -q "timed out after 2s" "$work/err" && ! grep -qE '[|] not reached$' "$work/out" "$work/err" ||
    { show; fail "--timeout in a Hyper-V step"; }
  ((SECONDS - start < 60)) || fail "the timed-out Hyper-V build took $((SECONDS - start)) s"
  check_clean "Hyper-V --timeout"
  echo "ok: --timeout 2 stops a Hyper-V step in $((SECONDS - start)) s; nothing left"

  # Ctrl-C (SIGINT to the wine process, which wine turns into CTRL_C_EVENT) during a Hyper-V
  # step: exit 130, and the process, the container, the VM and the scratch all go.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
RUN echo started& ping -n 60 127.0.0.1 >nul& echo not reached
DOCKERFILE
  local pid i
  (cd "$src" && exec "$wine" "$kiln_exe" --root 'C:\store' --progress plain build --no-cache -t hcssim:hv-int \
    --build-context "$base_ctx19" "$(winpath "$ctx")") >"$work/int.raw" 2>&1 &
  pid=$!
  for i in $(seq 1 1200); do grep -qs "| started" "$work/int.raw" && break; sleep 0.05; done
  sleep 0.3
  kill -INT "$pid" 2>/dev/null || { tr -d '\r' <"$work/int.raw"; fail "kiln.exe finished before Ctrl-C"; }
  rc=0; wait "$pid" || rc=$?
  [[ $rc == 130 ]] || { tr -d '\r' <"$work/int.raw"; fail "exit code $rc after Ctrl-C in a Hyper-V step, not 130"; }
  check_clean "Ctrl-C in a Hyper-V step"
  echo "ok: Ctrl-C in a Hyper-V step exits 130 and leaves nothing"

  # What HCS says in a Hyper-V step is explained for Hyper-V isolation too: the image refused
  # (HCS_E_IMAGE_MISMATCH at the hosted container) and the Hyper-V feature missing
  # (HCS_E_HYPERV_NOT_INSTALLED at the VM's start).
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM mcr.microsoft.com/windows/nanoserver:ltsc2019
RUN echo never> C:\never.txt
DOCKERFILE
  HCSSIM_IMAGE_MISMATCH=1 kiln_exe_run build -t hcssim:hv-mismatch --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc != 0 ]] && grep -q "^Dockerfile:2:1: creating container kiln-[^@]*: .*Hyper-V isolation .*(0xC0370101)" "$work/err" ||
    { show; fail "HCS_E_IMAGE_MISMATCH in a Hyper-V step is not explained for Hyper-V isolation"; }
  check_clean "image mismatch in a Hyper-V step"
  HCSSIM_FAIL='HcsStartComputeSystem=0x80370102*1' kiln_exe_run build -t hcssim:hv-nofeature --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc != 0 ]] && grep -q "^Dockerfile:2:1: starting utility VM .*Hyper-V.*(0x80370102)" "$work/err" ||
    { show; fail "HCS_E_HYPERV_NOT_INSTALLED does not name Hyper-V"; }
  check_clean "Hyper-V not installed"
  echo "ok: HCS_E_IMAGE_MISMATCH and HCS_E_HYPERV_NOT_INSTALLED in a Hyper-V step name Hyper-V isolation"

  # The wait after HcsCreateProcess fails although the process runs: kiln asks HcsGetProcessInfo
  # and carries on, as hcsshim does.
  : >"$state/log.txt"
  HCSSIM_FAIL='HcsWaitForOperationResultAndProcessInfo*1' kiln_exe_run build -t hcssim:hv-info \
    --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc == 0 ]] && grep -q "^computecore HcsGetProcessInfo 0x00000000" "$state/log.txt" ||
    { show; grep -i processinfo "$state/log.txt"; fail "HcsGetProcessInfo recovery"; }
  check_clean "HcsGetProcessInfo recovery"
  echo "ok: a failed wait after HcsCreateProcess is recovered through HcsGetProcessInfo"

  # A Windows Server 2019 host (17763, computecore without HcsWaitForProcessExit), --isolation
  # hyperv with the ltsc2019 image: the hosted container's exit comes through the ProcessExited
  # callback.
  "$sim/prefix.sh" "$prefix" "$dlls" 17763 ws2019
  : >"$state/log.txt"
  kiln_exe_run build --no-cache --isolation hyperv -t hcssim:hv-2019 --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc == 0 ]] && grep -q "^computecore HcsCreateComputeSystem 0x00000000 utility VM" "$state/log.txt" &&
    grep -q "^computecore (ProcessExited event)" "$state/log.txt" && ! grep -q "HcsWaitForProcessExit" "$state/log.txt" ||
    { show; cat "$state/log.txt"; fail "Hyper-V step with the Windows Server 2019 computecore"; }
  check_clean "Hyper-V on a 17763 host"
  "$sim/prefix.sh" "$prefix" "$dlls" 20348
  echo "ok: --isolation hyperv on a 17763 host (no HcsWaitForProcessExit): the exit comes through the callback"

  # No Hyper-V role (no vmms service): auto fails in pre-flight naming both builds and both ways out.
  HCSSIM_HYPERV=0 "$sim/prefix.sh" "$prefix" "$dlls" 20348
  kiln_exe_run build -t hcssim:hv-norole --build-context "$base_ctx19" "$(winpath "$ctx")"
  [[ $rc != 0 ]] && grep -q "Hyper-V isolation needs the Hyper-V role, which this host lacks" "$work/err" &&
    grep -q "build 20348" "$work/err" && grep -q "build 17763" "$work/err" || { show; fail "no Hyper-V role (exit $rc)"; }
  check_clean "no Hyper-V role"
  "$sim/prefix.sh" "$prefix" "$dlls" 20348
  echo "ok: without the Hyper-V role (vmms) auto stops in pre-flight with both builds named"
}

# KILN_HCSSIM_SUITES picks suites (default all) when working on one of them.
suites=" ${KILN_HCSSIM_SUITES:-selftest kiln hyperv} "
[[ -f $selftest && $suites == *" selftest "* ]] && selftest_suite
[[ -f $kiln_exe && $suites == *" kiln "* ]] && kiln_suite
[[ -f $kiln_exe && $suites == *" hyperv "* ]] && hyperv_suite
# kiln never calls into computestorage.dll (it uses vmcompute's layer functions).
! grep -q "^computestorage" "$state/log.txt" || fail "unexpected computestorage call"
# The slowest kiln.exe run, to keep an eye on the suite's time (make test).
[[ ! -f $work/times ]] || echo "kiln.exe runs: $(wc -l <"$work/times"), slowest $(sort -n "$work/times" | tail -1 | cut -c1-100)"
echo "ok: windows_hcs_sim ($( [[ -f $selftest ]] && echo "kiln-hcs-selftest" ) $( [[ -f $kiln_exe ]] && echo "kiln.exe" ) under wine, simulated HCS; not Windows)"
