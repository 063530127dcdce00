#!/usr/bin/env bash
# Issue 16: the memory of `kiln analyze` and `kiln shrink` is bounded by design. Both read every
# layer's catalog and plan the squash; the per-file state they keep is documented in
# docs/architecture.md ("Memory of analyze and shrink"): a fixed part plus PER_ENTRY bytes per
# file of the image. A COPY-only Windows image (synthetic Nano Server base) of SMALL and of
# LARGE generated files is analyzed (--json) and shrunk; the small image measures the fixed
# part on this machine, the large one must stay within it plus N * PER_ENTRY. Peak RSS is
# /usr/bin/time's "Maximum resident set size" (VmHWM), not a timing.
# Before the compact catalogs and plans, analyze took ~3 KiB and shrink ~2.5 KiB per file.
set -euo pipefail
kiln=$(realpath "$1")
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x /usr/bin/time ] || { echo "kiln-skip: /usr/bin/time is not installed"; exit 77; }
work=$(mktemp -d /tmp/kiln-analyze-memory.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The documented bound (docs/architecture.md, "Memory of analyze and shrink").
PER_ENTRY=${PER_ENTRY:-600}  # bytes per file of the image: the measured ~320-350 plus headroom
SMALL=2000
LARGE=${LARGE:-60000}

# shellcheck source=memory_lib.sh
source "$src/tests/scripts/memory_lib.sh"  # make_context, $nano
peak_kib() {  # STORE ARGS... -> peak RSS in KiB
  local store=$1
  shift
  /usr/bin/time -v "$kiln" --root "$store" --progress quiet "$@" > "$work/out.txt" 2> "$work/time.txt" ||
    { cat "$work/time.txt" >&2; fail "kiln $*"; }
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt"
}

declare -A rss
for n in "$SMALL" "$LARGE"; do
  make_context "$work/ctx$n" "$n"
  "$kiln" --root "$work/store$n" --progress quiet build -t mem:1 --build-context "$nano" \
    "$work/ctx$n" > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "build of $n files"; }
  rm -rf "$work/ctx$n"
  rss[analyze$n]=$(peak_kib "$work/store$n" analyze mem:1 --json)
  rss[shrink$n]=$(peak_kib "$work/store$n" shrink mem:1 -t mem:shrunk)
  rm -rf "$work/store$n"
done
status=0
for cmd in analyze shrink; do
  small=${rss[$cmd$SMALL]} large=${rss[$cmd$LARGE]}
  per_entry=$(( (large - small) * 1024 / (LARGE - SMALL) ))
  echo "$cmd peak RSS: $SMALL files $small KiB, $LARGE files $large KiB; $per_entry bytes per file"
  limit=$(( small + (LARGE - SMALL) * PER_ENTRY / 1024 ))
  [ "$large" -le "$limit" ] || {
    echo "FAIL: $cmd of $LARGE files peaked at $large KiB, over $limit KiB ($small KiB + $PER_ENTRY bytes per file)" >&2
    status=1
  }
done
exit $status
