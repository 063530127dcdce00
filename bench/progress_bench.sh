#!/usr/bin/env bash
# Progress overhead (issue 19, Must show 3): the W1 ("app", ~300 MiB) and W2 ("small", 30,000
# files) COPY-only builds of ../shared/bench/gen_context.py, cold (empty store, --no-cache, into
# an OCI layout), in one hyperfine run per workload:
#   - --progress tty  through a pseudo-terminal (`script`, output to /dev/null): the live view
#     redrawn 10 times a second, with files, bytes, rate and elapsed;
#   - --progress quiet through the same pseudo-terminal (the peer: same pty cost);
#   - --progress quiet without a terminal (for reference).
# Goal: tty within 3% of quiet (the two pty rows). Results in bench/out/progress_<w>.json.
# Usage: bench/progress_bench.sh [path/to/kiln] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-5}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
if [[ ! -f $shared/bench/gen_context.py ]]; then
  echo "progress_bench: needs ../shared/bench/gen_context.py for the W1/W2 contexts (not found under $shared; set KILN_SHARED_DIR)" >&2
  exit 2
fi
command -v script >/dev/null || { echo "progress_bench: needs script(1) (util-linux)" >&2; exit 2; }
work=$(realpath -m bench/work/progress)
mkdir -p "$work" bench/out
echo "progress_bench: load $(uptime)"

for w in app small; do
  ctx=$work/ctx-$w
  if [[ ! -f $ctx/.done ]]; then
    rm -rf "$ctx"
    python3 "$shared/bench/gen_context.py" "$w" "$ctx/data" > "$work/ctx-$w.summary"
    touch "$ctx/.done"
  fi
  printf '.done\nDockerfile*\n' > "$ctx/.dockerignore"
  printf 'FROM scratch\nCOPY data /data\n' > "$ctx/Dockerfile"
  echo "context $w: $(cat "$work/ctx-$w.summary")"
  build="build --no-cache -o type=oci,dest=$work/out $ctx"
  prep="rm -rf $work/store $work/out"
  # script -q: no start/done banner; -e: kiln's exit status; -c: the command; the typescript
  # goes to /dev/null and so does what the terminal shows.
  pty() { printf 'script -qec %q /dev/null > /dev/null' "$kiln --root $work/store --progress $1 $build"; }
  hyperfine --runs "$runs" --export-json "bench/out/progress_$w.json" \
    --prepare "$prep" -n "kiln $w --progress tty (pty)" "$(pty tty)" \
    --prepare "$prep" -n "kiln $w --progress quiet (pty)" "$(pty quiet)" \
    --prepare "$prep" -n "kiln $w --progress quiet (no terminal)" \
    "$kiln --root $work/store --progress quiet $build > /dev/null 2>&1"
  python3 - "bench/out/progress_$w.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
tty = next(v for k, v in r.items() if "tty (pty)" in k)
quiet = next(v for k, v in r.items() if "quiet (pty)" in k)
ratio = tty["mean"] / quiet["mean"]
print(f"tty/quiet (pty) = {ratio:.4f}  (mean {tty['mean']:.3f}s ± {tty['stddev']:.3f} vs "
      f"{quiet['mean']:.3f}s ± {quiet['stddev']:.3f}); goal <= 1.03: {'met' if ratio <= 1.03 else 'NOT met'}")
PY
done
rm -rf "$work/store" "$work/out"
