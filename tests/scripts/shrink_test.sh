#!/usr/bin/env bash
# kiln analyze / shrink / build --minimize end to end on the fixtures of samples/shrink
# (Microsoft's installer example as Windows COPY images and Linux RUN images, and a COPY-only
# Windows image). Independent checkers: umoci unpacks the images (flattened trees are compared
# with diff -r), skopeo copies and inspects them, python reads the configs; every written
# Windows layer goes through `kiln layer check`. Prints a before/after size table.
# Usage: shrink_test.sh KILN [SCALE]   (SCALE of Microsoft's sizes, default 0.05)
set -euo pipefail
kiln=$(realpath "$1")
scale=${2:-${SHRINK_SCALE:-0.05}}
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/store
export SOURCE_DATE_EPOCH=1700000000
K() { "$kiln" --root "$root" --progress quiet "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ctx=$work/ctx
python3 "$src/samples/shrink/make_context.py" "$ctx" "$scale"
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"
table=$work/table

build() {  # NAME FIXTURE [flags...]
  local name=$1 fixture=$2; shift 2
  K build -t "$name" --build-context "$nano" --build-context "busybox=oci-layout://$work/busybox:base" \
    -f "$src/samples/shrink/$fixture/Dockerfile" "$@" "$ctx" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; return 1; }
}
json() { K analyze "$1" --json; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
added() { json "$1" | field "d['kiln']['addedCompressedBytes']"; }
nlayers() { json "$1" | field "len(d['layer'])"; }
efficiency() { json "$1" | field "d['image']['efficiencyScore']"; }
digest() { json "$1" | field "d['kiln']['manifest']"; }
row() { printf '| %-28s | %12s | %12s | %6s | %6s | %5s | %5s |\n' "$@" >>"$table"; }

# Flattens NAME into DIR/rootfs: umoci for Linux images, Python's tarfile for Windows ones
# (umoci refuses os=windows); neither shares code with kiln.
flatten() {
  local name=$1 dir=$2 tag
  tag=${name##*:}
  rm -rf "$work/oci-$tag" && K save "$name" -o "$work/oci-$tag" 2>/dev/null
  if [ "${3:-}" = windows ]; then
    python3 "$src/tests/scripts/flatten_image.py" "$work/oci-$tag" "$tag" "$dir/rootfs/Files" --windows
    return
  fi
  umoci unpack --image "$work/oci-$tag:$tag" "$dir" >"$work/umoci.log" 2>&1 ||
    { cat "$work/umoci.log" >&2; fail "umoci unpack $name"; }
}

# Every layer above the base of NAME passes the Windows layer checker.
check_windows_layers() {
  local name=$1
  for d in $(json "$name" | field "' '.join(l['digestId'][7:] for l in d['layer'] if not l['base'])"); do
    K layer check "$root/blobs/sha256/$d" >/dev/null || fail "$name: layer $d breaks a Windows rule"
  done
}

# Config equal apart from rootfs and history; history keeps its length and step texts.
same_config() {
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ha, hb = a.pop("history"), b.pop("history")
a.pop("rootfs"); b.pop("rootfs")
assert a == b, "configs differ"
assert [h.get("created_by") for h in ha] == [h.get("created_by") for h in hb], "history steps differ"
assert sum(not h.get("empty_layer") for h in hb) == len(json.load(open(sys.argv[2]))["rootfs"]["diff_ids"])
PY
}
config_of() {  # NAME FILE
  local m
  m=$(json "$1" | field "d['kiln']['manifest'][7:]")
  python3 -c "import json,sys; print(json.load(open('$root/blobs/sha256/$m'))['config']['digest'][7:])" |
    { read -r c; cp "$root/blobs/sha256/$c" "$2"; }
}

echo "| fixture                      | added before | added after  | layers | after  | eff.  | after |" >"$table"
echo "|---|---|---|---|---|---|---|" >>"$table"

# --- 1. Microsoft's example, Windows, COPY -------------------------------------------------
build win:three ms-installer-windows
build win:chained ms-installer-windows-chained
K shrink win:three -t win:shrunk >"$work/shrink.log" || { cat "$work/shrink.log"; fail "shrink"; }
cat "$work/shrink.log"
K shrink win:three -t win:shrunk2 >/dev/null
[ "$(digest win:shrunk)" = "$(digest win:shrunk2)" ] || fail "shrink is not deterministic"
[ "$(nlayers win:shrunk)" = 2 ] || fail "win:shrunk should be base + 1 layer"
[ "$(added win:shrunk)" -le "$(added win:chained)" ] || fail "shrunk added size exceeds the chained one"
[ "$(efficiency win:shrunk)" = 1.0 ] || fail "efficiency after shrink is not 1.0"
check_windows_layers win:shrunk
flatten win:three "$work/t-three" windows
flatten win:shrunk "$work/t-shrunk" windows
# What changed is exactly the junk: the installer under Windows/Temp.
diff -r "$work/t-three/rootfs/Files" "$work/t-shrunk/rootfs/Files" >"$work/diff" || true
[ "$(cat "$work/diff")" = "Only in $work/t-three/rootfs/Files/Windows/Temp: python-3.12.0-amd64.exe" ] ||
  { cat "$work/diff"; fail "flattened trees differ beyond the junk"; }
K shrink win:three -t win:nojunk --no-junk >/dev/null
flatten win:nojunk "$work/t-nojunk" windows
diff -r "$work/t-three/rootfs/Files" "$work/t-nojunk/rootfs/Files" || fail "--no-junk changed files"
skopeo inspect --override-os windows "oci:$work/oci-shrunk:shrunk" >/dev/null || fail "skopeo inspect"
skopeo copy --override-os windows "oci:$work/oci-shrunk:shrunk" "oci:$work/copy:shrunk" >/dev/null ||
  fail "skopeo copy (digest check)"
# Recompression: zstd layers, still valid Windows layers with the same files.
K shrink win:three -t win:zstd --compression zstd >/dev/null
m=$(json win:zstd | field "d['kiln']['manifest'][7:]")
python3 -c "import json; m=json.load(open('$root/blobs/sha256/$m')); assert m['layers'][-1]['mediaType'].endswith('+zstd'), m" ||
  fail "zstd media type"
check_windows_layers win:zstd
flatten win:zstd "$work/t-zstd" windows
diff -r "$work/t-shrunk/rootfs/Files" "$work/t-zstd/rootfs/Files" || fail "zstd changed files"
row "ms-installer, Windows COPY" "$(added win:three)" "$(added win:shrunk)" "$(nlayers win:three)" \
  "$(nlayers win:shrunk)" "$(efficiency win:three)" "$(efficiency win:shrunk)"
row "  chained equivalent" "$(added win:chained)" "-" "$(nlayers win:chained)" "-" \
  "$(efficiency win:chained)" "-"

# --- 2. COPY-only Windows: overwritten file, junk, metadata steps ---------------------------
build copy:orig copy-only-windows
K shrink copy:orig -t copy:shrunk >/dev/null
[ "$(nlayers copy:shrunk)" = 2 ] || fail "copy-only should shrink to base + 1 layer"
config_of copy:orig "$work/c-orig.json"
config_of copy:shrunk "$work/c-shrunk.json"
same_config "$work/c-orig.json" "$work/c-shrunk.json" || fail "copy-only config changed"
check_windows_layers copy:shrunk
flatten copy:orig "$work/c-t1" windows
flatten copy:shrunk "$work/c-t2" windows
diff -r "$work/c-t1/rootfs/Files" "$work/c-t2/rootfs/Files" >"$work/diff" || true
[ "$(cat "$work/diff")" = "Only in $work/c-t1/rootfs/Files/Windows/Temp: setup.log" ] ||
  { cat "$work/diff"; fail "copy-only flattened trees differ beyond the junk"; }
# --minimize gives the same image as building and then shrinking.
build copy:min copy-only-windows --minimize
[ "$(digest copy:min)" = "$(digest copy:shrunk)" ] || fail "--minimize differs from kiln shrink"
row "copy-only, Windows COPY" "$(added copy:orig)" "$(added copy:shrunk)" "$(nlayers copy:orig)" \
  "$(nlayers copy:shrunk)" "$(efficiency copy:orig)" "$(efficiency copy:shrunk)"

# --- 3. Microsoft's example, Linux, RUN -----------------------------------------------------
mkdir -p "$work/bbroot/bin"
cp "$(command -v busybox)" "$work/bbroot/bin/busybox"
for a in sh mkdir cp rm echo cat ls; do ln -s busybox "$work/bbroot/bin/$a"; done
(cd "$work" && umoci init --layout busybox >/dev/null && umoci new --image busybox:base &&
  umoci insert --image busybox:base bbroot/bin /bin >/dev/null &&
  umoci config --image busybox:base --os linux --architecture amd64 >/dev/null)
# RUN needs root and runc: without them the Linux half is skipped, saying why; with them a build
# that fails is a failure.
linux_skip=""
[ "$(id -u)" = 0 ] || linux_skip="not root (RUN needs root for runc and overlayfs)"
command -v runc >/dev/null || linux_skip="runc is not installed"
if [ -n "$linux_skip" ]; then
  echo "SKIP: Linux RUN fixtures: $linux_skip" >&2
else
  build lin:three ms-installer-linux || fail "Linux RUN fixture ms-installer-linux did not build"
  build lin:chained ms-installer-linux-chained ||
    fail "Linux RUN fixture ms-installer-linux-chained did not build"
  K shrink lin:three -t lin:shrunk >/dev/null
  [ "$(nlayers lin:shrunk)" = 2 ] || fail "lin:shrunk should be base + 1 layer"
  [ "$(efficiency lin:shrunk)" = 1.0 ] || fail "Linux efficiency after shrink is not 1.0"
  [ "$(added lin:shrunk)" -le "$(added lin:chained)" ] || fail "Linux shrunk exceeds chained"
  if K analyze lin:three --ci >/dev/null; then fail "--ci passed a wasteful image"; fi
  K analyze lin:shrunk --ci >/dev/null || fail "--ci failed the shrunk image"
  flatten lin:three "$work/l-three"
  flatten lin:shrunk "$work/l-shrunk"
  diff -r "$work/l-three/rootfs" "$work/l-shrunk/rootfs" || fail "Linux flattened trees differ"
  row "ms-installer, Linux RUN" "$(added lin:three)" "$(added lin:shrunk)" "$(nlayers lin:three)" \
    "$(nlayers lin:shrunk)" "$(efficiency lin:three)" "$(efficiency lin:shrunk)"
  row "  chained equivalent" "$(added lin:chained)" "-" "$(nlayers lin:chained)" "-" \
    "$(efficiency lin:chained)" "-"
fi
cat "$table"
echo "PASS"
