#!/usr/bin/env bash
# Shrink benchmark: the Windows fixture modelled on Microsoft's installer example
# (samples/shrink/ms-installer-windows, SCALE of the documented 125.7 MB + 178.6 MB) built with
# kiln, then `kiln shrink` (catalog every layer, plan, write one gzip layer) and `kiln analyze`
# timed in one hyperfine run with the peer `skopeo copy` of the same image between two OCI
# layouts (reads and writes every blob once, no recompression: an I/O floor, not a shrinker —
# no Windows-aware squash tool ships in Debian). Peak RSS with /usr/bin/time -v.
# Results go to bench/out/. Usage: bench/shrink_bench.sh [path/to/kiln] [scale]
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
scale=${2:-0.5}
mkdir -p bench/work bench/out
work=$(mktemp -d -p bench/work shrink.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/store
export SOURCE_DATE_EPOCH=1700000000
python3 samples/shrink/make_context.py "$work/ctx" "$scale"
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$PWD/samples/bases/nanoserver:ltsc2022"
"$kiln" --root "$root" --progress quiet build -t bench:three --build-context "$nano" \
  -f samples/shrink/ms-installer-windows/Dockerfile "$work/ctx" >/dev/null 2>&1
"$kiln" --root "$root" save bench:three -o "$work/oci" 2>/dev/null
out=bench/out/shrink-$scale
uptime | tee "$out.load"
hyperfine --warmup 1 --runs 5 --export-markdown "$out.md" \
  -n "kiln shrink" "$kiln --root $root shrink bench:three -t bench:shrunk" \
  -n "kiln analyze" "$kiln --root $root analyze bench:three --json" \
  -n "skopeo copy (peer, I/O floor)" \
  "rm -rf $work/copy && skopeo copy --override-os windows oci:$work/oci:three oci:$work/copy:three"
for cmd in "shrink bench:three -t bench:shrunk" "analyze bench:three --json"; do
  /usr/bin/time -v "$kiln" --root "$root" $cmd 2>&1 >/dev/null |
    awk -v c="kiln $cmd" '/Maximum resident/ {print c ": peak RSS " $6 " KB"}' | tee -a "$out.rss"
done
cat "$out.md"
