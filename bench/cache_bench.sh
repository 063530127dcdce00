#!/usr/bin/env bash
# Registry build cache (issue 15, must-show 4), each row in the same hyperfine run as its peer,
# against one local docker-registry, a fresh store for every run:
#  1. fully cached fresh runner: the COPY-only build of W1 / W2 (../shared/bench/gen_context.py)
#     on an empty store with --cache-from + --push, after one seeding build exported the cache and
#     pushed the image. kiln (Linux and Windows flavour; Windows on the synthetic Nano Server base)
#     vs `buildah bud --layers --cache-from R --cache-to R` + `buildah push` of the same Linux
#     build (overlay driver, empty storage per run). Goals: kiln < 1 s, >= 10x faster than buildah.
#  2. cold: fresh store, build + push to a new repository (so every blob is uploaded), with and
#     without --cache-to type=registry (the cache export then mounts the pushed layers).
#     Goal: with --cache-to within 1.2x of without.
# Usage: bench/cache_bench.sh [path/to/kiln] [runs]   (SKIP_BUILDAH=1 leaves the peer out)
# Results: bench/out/cache_<w>.json (hyperfine) and bench/out/cache_summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-3}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
if [[ ! -f $shared/bench/gen_context.py ]]; then
  echo "kiln-skip: cache_bench needs ../shared/bench/gen_context.py for the W1/W2 contexts (not found under $shared; set KILN_SHARED_DIR)"
  exit 0
fi
work=$(realpath -m bench/work/cache)
mkdir -p "$work" bench/out
base=$(realpath samples/bases/nanoserver)
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022"
echo "cache_bench: load $(uptime)"

# A docker-registry for the whole run.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
rm -rf "$work/registry"; mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry/data}}
http: {addr: $reg, secret: kiln-bench}
YML
docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -sf "http://$reg/v2/" > /dev/null && break; sleep 0.05; done

for w in app small; do
  if [[ ! -f $work/ctx-$w/.done ]]; then
    rm -rf "$work/ctx-$w"
    python3 "$shared/bench/gen_context.py" "$w" "$work/ctx-$w/data" > "$work/ctx-$w.summary"
    touch "$work/ctx-$w/.done"
  fi
  printf '.done\nDockerfile*\n' > "$work/ctx-$w/.dockerignore"
  printf 'FROM scratch\nCOPY data /data\n' > "$work/ctx-$w/Dockerfile.linux"
  printf 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY data C:/data\n' > "$work/ctx-$w/Dockerfile.windows"
  echo "context $w: $(cat "$work/ctx-$w.summary")"
done

k() { echo "$kiln --root $work/k-store --progress plain"; }
bah() { echo "buildah --root $work/b-root --runroot $work/b-run --storage-driver overlay"; }
summary=bench/out/cache_summary.txt
: > "$summary"

for w in app small; do
  ctx=$work/ctx-$w
  # Seed: one cold build per flavour exports the cache and pushes the image.
  for f in linux windows; do
    rm -rf "$work/k-store"
    $(k) build -f "$ctx/Dockerfile.$f" --build-context "$nano" -t "$reg/bench/$w-$f:1" --push \
      --cache-to "type=registry,ref=$reg/bench/$w-$f-cache:1,mode=max" "$ctx" > /dev/null 2>&1
  done
  cmds=()
  for f in linux windows; do
    cmds+=(--prepare "rm -rf $work/k-store"
      -n "kiln $w $f fully cached fresh runner (--cache-from + --push)"
      "$(k) build -f $ctx/Dockerfile.$f --build-context $nano -t $reg/bench/$w-$f:1 --push --cache-from type=registry,ref=$reg/bench/$w-$f-cache:1 $ctx >/dev/null 2>&1")
  done
  if [[ -z ${SKIP_BUILDAH:-} ]]; then
    # Seed buildah's registry cache once, then time a fresh-storage build + push from it.
    rm -rf "$work/b-root" "$work/b-run"
    $(bah) bud -q --layers --cache-to "$reg/bench/$w-bcache" --tls-verify=false -t "$w-b:1" \
      -f "$ctx/Dockerfile.linux" "$ctx" > /dev/null 2>&1
    $(bah) push -q --tls-verify=false "$w-b:1" "docker://$reg/bench/$w-b:1" > /dev/null 2>&1
    cmds+=(--prepare "rm -rf $work/b-root $work/b-run"
      -n "buildah $w linux fully cached fresh runner (--cache-from/--cache-to + push)"
      "$(bah) bud -q --layers --cache-from $reg/bench/$w-bcache --cache-to $reg/bench/$w-bcache --tls-verify=false -t $w-b:1 -f $ctx/Dockerfile.linux $ctx >/dev/null 2>&1 && $(bah) push -q --tls-verify=false $w-b:1 docker://$reg/bench/$w-b:1 >/dev/null 2>&1")
  fi
  # Cold, every blob uploaded: a new repository per run (the counter file), fresh store.
  echo 0 > "$work/n"
  next='n=$(( $(cat '"$work"'/n) + 1 )); echo $n > '"$work"'/n'
  cmds+=(--prepare "rm -rf $work/k-store"
    -n "kiln $w linux cold build + push"
    "$next; $(k) build -f $ctx/Dockerfile.linux -t $reg/bench/cold-$w-\$n:1 --push $ctx >/dev/null 2>&1"
    --prepare "rm -rf $work/k-store"
    -n "kiln $w linux cold build + push + --cache-to"
    "$next; $(k) build -f $ctx/Dockerfile.linux -t $reg/bench/cold-$w-\$n:1 --push --cache-to type=registry,ref=$reg/bench/coldcache-$w-\$n:1,mode=max $ctx >/dev/null 2>&1")
  hyperfine --shell bash --runs "$runs" --export-json "bench/out/cache_$w.json" "${cmds[@]}" | tee -a "$summary"
done
rm -rf "$work/k-store" "$work/b-root" "$work/b-run"
echo "results: $summary"
