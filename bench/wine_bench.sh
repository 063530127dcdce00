#!/usr/bin/env bash
# Benchmark: `kiln layer create` of the W1 tree ("app": ~2,000 files, ~300 MiB, from
# ../shared/bench/gen_context.py) with the Linux kiln and with kiln.exe under wine (Debian
# wine64; wine is not Windows, so this says nothing about speed on Windows), in the same
# hyperfine run, Windows and Linux layer formats, gzip level 1 (kiln's default). The outputs are
# compared byte for byte after the run. Also prints kiln.exe's size.
#   bench/wine_bench.sh [KILN] [KILN_EXE] [RUNS]
# Writes bench/out/wine_layer_create.md/.json and bench/out/wine_sizes.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
exe=$(realpath "${2:-build-windows/kiln.exe}")
runs=${3:-5}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
if [[ ! -f $shared/bench/gen_context.py ]]; then
  echo "wine_bench: needs ../shared/bench/gen_context.py for the W1 tree (set KILN_SHARED_DIR)" >&2
  exit 2
fi
[[ -f $exe ]] || { echo "wine_bench: $exe not built (make windows)" >&2; exit 2; }
src=$PWD
kiln_ref=$kiln
source tests/scripts/windows_wine_lib.sh
wine_find wine_bench
work=bench/work
out=bench/out
mkdir -p "$work" "$out"
[ -d "$work/w1" ] || python3 "$shared/bench/gen_context.py" app "$work/w1" > /dev/null
dir=$(realpath "$work/w1")
tmp=$(mktemp -d)
trap 'wine_cleanup; rm -rf "$tmp"' EXIT
wine_start "$tmp"
export SOURCE_DATE_EPOCH=1600000000

printf 'kiln.exe (%s): %s bytes\nLinux kiln (%s): %s bytes\n' "$exe" "$(stat -c %s "$exe")" \
  "$kiln" "$(stat -c %s "$kiln")" | tee "$out/wine_sizes.txt"
echo "load at start: $(uptime)" | tee -a "$out/wine_sizes.txt"
tar -cf - -C "$dir" . > /dev/null  # warm the page cache
wdir=$(wp "$dir")
hyperfine --shell bash --warmup 1 --runs "$runs" \
  --export-markdown "$out/wine_layer_create.md" --export-json "$out/wine_layer_create.json" \
  -n "Linux kiln layer create --format windows (W1)" \
  "$kiln layer create --format windows -o $tmp/l-win.tgz $dir > /dev/null" \
  -n "wine kiln.exe layer create --format windows (W1)" \
  "$wine $exe layer create --format windows -o '$(wp "$tmp/x-win.tgz")' '$wdir' > /dev/null" \
  -n "Linux kiln layer create --format linux (W1)" \
  "$kiln layer create --format linux -o $tmp/l-lin.tgz $dir > /dev/null" \
  -n "wine kiln.exe layer create --format linux (W1)" \
  "$wine $exe layer create --format linux -o '$(wp "$tmp/x-lin.tgz")' '$wdir' > /dev/null"
echo "load at end: $(uptime)" | tee -a "$out/wine_sizes.txt"
for f in win lin; do
  if cmp -s "$tmp/l-$f.tgz" "$tmp/x-$f.tgz"; then
    echo "W1 $f layer: identical ($(sha256sum < "$tmp/x-$f.tgz" | cut -d' ' -f1))" | tee -a "$out/wine_sizes.txt"
  else
    # Expected for lin when the context's files are not 0755: kiln.exe reads every file as 0755
    # (Windows has no execute bit; docker's rule), the Linux kiln takes the host's bits.
    echo "W1 $f layer: DIFFERENT blobs$([[ $f == lin ]] && echo " (file modes: kiln.exe writes 0755)")" | tee -a "$out/wine_sizes.txt"
  fi
done
