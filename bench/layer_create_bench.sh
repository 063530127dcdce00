#!/usr/bin/env bash
# Benchmark: `kiln layer create` against the shell-pipeline bound and `umoci insert`, on the W1
# ("app": 2,000 files, 300 MiB) and W2 ("small": 30,000 files) trees of
# ../shared/bench/gen_context.py. Peer commands run in the same hyperfine invocation.
#   bench/layer_create_bench.sh [KILN] [RUNS]
# Writes bench/out/layer_create-<tree>.md (hyperfine tables) and bench/out/layer_create-rss.txt
# (peak RSS from /usr/bin/time -v), and prints the load (uptime) at start and end.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-5}
shared=${KILN_SHARED_DIR:-$(cd .. && pwd)/shared}
work=bench/work
out=bench/out
mkdir -p "$work" "$out"
[ -d "$work/w1" ] || python3 "$shared/bench/gen_context.py" app "$work/w1" >/dev/null
[ -d "$work/w2" ] || python3 "$shared/bench/gen_context.py" small "$work/w2" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "load at start: $(uptime)" | tee "$out/layer_create-load.txt"
for tree in w1 w2; do
  dir=$(realpath "$work/$tree")
  tar -cf - -C "$dir" . >/dev/null  # warm the page cache
  hyperfine --shell bash --warmup 1 --runs "$runs" \
    --export-markdown "$out/layer_create-$tree.md" --export-json "$out/layer_create-$tree.json" \
    -n "bound gzip (tar|tee sha256|igzip -1|sha256)" \
    "tar -cf - -C $dir . | tee >(openssl sha256 >/dev/null) | igzip -1 | openssl sha256 >/dev/null" \
    -n "bound zstd (tar|tee sha256|zstd -3 -T0|sha256)" \
    "tar -cf - -C $dir . | tee >(openssl sha256 >/dev/null) | zstd -3 -T0 -q -c | openssl sha256 >/dev/null" \
    -n "kiln linux gzip" "$kiln layer create --format linux -o $tmp/l.tgz $dir >/dev/null" \
    -n "kiln linux zstd" "$kiln layer create --format linux --compression zstd -o $tmp/l.zst $dir >/dev/null" \
    -n "kiln windows gzip" "$kiln layer create --format windows -o $tmp/w.tgz $dir >/dev/null" \
    -n "kiln windows zstd" "$kiln layer create --format windows --compression zstd -o $tmp/w.zst $dir >/dev/null" \
    -n "umoci insert" \
    --prepare "rm -rf $tmp/oci && umoci init --layout $tmp/oci && umoci new --image $tmp/oci:t" \
    "umoci insert --image $tmp/oci:t $dir /data"
done

: >"$out/layer_create-rss.txt"
for tree in w1 w2; do
  dir=$(realpath "$work/$tree")
  for args in "--format linux" "--format linux --compression zstd" "--format windows" \
              "--format windows --compression zstd"; do
    # shellcheck disable=SC2086
    rss=$( { /usr/bin/time -v "$kiln" layer create $args -o "$tmp/x" "$dir" >/dev/null; } 2>&1 |
          sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "$tree kiln layer create $args: peak RSS ${rss} KiB" | tee -a "$out/layer_create-rss.txt"
  done
done
echo "load at end: $(uptime)" | tee -a "$out/layer_create-load.txt"
