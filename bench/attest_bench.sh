#!/usr/bin/env bash
# Issue 17, Must show 4: what --provenance=max --sbom=true costs. The COPY-only W1 ("app",
# ~300 MiB) and W2 ("small", 30,000 files) builds of bench/build_bench.sh (contexts from
# ../shared/bench/gen_context.py), Windows (synthetic Nano Server base) and Linux (FROM scratch),
# from an empty store without cache into an OCI layout, with attestations vs with
# --provenance=false (an OCI layout gets min provenance by default), in the same hyperfine run.
# Goal: at most 5 % slower. Results in bench/out/attest_<w>.json and a summary table.
# Usage: bench/attest_bench.sh [path/to/kiln] [runs]   (WORKLOADS="small" runs W2 alone)
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-5}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
if [[ ! -f $shared/bench/gen_context.py ]]; then
  echo "attest_bench: needs ../shared/bench/gen_context.py for the W1/W2 contexts (not found under $shared; set KILN_SHARED_DIR)" >&2
  exit 2
fi
work=$(realpath -m bench/work/attest)
base=$(realpath samples/bases/nanoserver)
mkdir -p "$work" bench/out
echo "attest_bench: load $(uptime)"
for w in ${WORKLOADS:-app small}; do
  if [[ ! -f $work/ctx-$w/.done ]]; then
    rm -rf "$work/ctx-$w"
    python3 "$shared/bench/gen_context.py" "$w" "$work/ctx-$w/data" > "$work/ctx-$w.summary"
    touch "$work/ctx-$w/.done"
  fi
  printf '.done\nDockerfile*\n' > "$work/ctx-$w/.dockerignore"
  printf 'FROM scratch\nCOPY data /data\n' > "$work/ctx-$w/Dockerfile.linux"
  printf 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY data C:/data\n' \
    > "$work/ctx-$w/Dockerfile.windows"
  echo "context $w: $(cat "$work/ctx-$w.summary")"
done
for w in ${WORKLOADS:-app small}; do
  ctx=$work/ctx-$w
  prep="rm -rf $work/store $work/out"
  cmds=()
  for os in windows linux; do
    k="$kiln --root $work/store --progress plain build --no-cache -f $ctx/Dockerfile.$os \
--build-context mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022 \
-o type=oci,dest=$work/out $ctx"
    cmds+=(--prepare "$prep" -n "$w $os without attestations" "$k --provenance=false >/dev/null 2>&1"
           --prepare "$prep" -n "$w $os --provenance=max --sbom=true" "$k --provenance=max --sbom=true >/dev/null 2>&1")
  done
  hyperfine --runs "$runs" --export-json "bench/out/attest_$w.json" "${cmds[@]}"
done
WORKLOADS=${WORKLOADS:-app small} python3 - <<'PY'
import json
print("| workload | without | with max provenance + SBOM | overhead |")
print("|---|---:|---:|---:|")
import os
for w in os.environ.get("WORKLOADS", "app small").split():
    r = {x["command"]: x for x in json.load(open("bench/out/attest_%s.json" % w))["results"]}
    for os in ("windows", "linux"):
        a = r["%s %s without attestations" % (w, os)]
        b = r["%s %s --provenance=max --sbom=true" % (w, os)]
        print("| %s %s | %.3f s ± %.3f | %.3f s ± %.3f | %+.1f %% |" % (
            "W1" if w == "app" else "W2", os, a["mean"], a["stddev"], b["mean"], b["stddev"],
            100 * (b["mean"] / a["mean"] - 1)))
PY
rm -rf "$work/store" "$work/out"
echo "attest_bench: load after $(uptime)"
