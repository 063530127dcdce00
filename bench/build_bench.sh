#!/usr/bin/env bash
# Builder benchmarks (issue 5), each in the same hyperfine run as its peer:
#  1. cached: a fully cached rebuild of a 30-instruction Dockerfile (COPY, ENV, LABEL, WORKDIR,
#     USER, ...); goal < 100 ms wall. Like with like: kiln and buildah bud --layers (vfs and
#     overlay drivers) on the same instructions FROM scratch; kiln's Windows variant on the
#     synthetic Nano Server base is timed beside them (buildah cannot build Windows images).
#  2. w1 / w2: a COPY-only build into an OCI layout of the two contexts of
#     ../shared/bench/gen_context.py (W1 "app" ~300 MiB, W2 "small" 30,000 files), from an empty
#     store and without cache, vs `buildah bud` + `buildah push oci:` of the same FROM scratch +
#     COPY on both storage drivers (vfs, overlay). Each tool at its default gzip level (kiln: ISA-L
#     level 1; buildah: containers/image's default), plus a run with both at level 6, and the
#     compressed output size of every variant (bench/out/build_<w>_sizes.txt). Issue 5's goals
#     (kiln >= 5x faster on W1, >= 25x on W2) were set against vfs.
#  3. w1-windows / w2-windows: the same COPY as a Windows image on the synthetic base (its layers
#     are written to the OCI layout too); goal within 1.1x of the Linux build.
#  4. w1-cached / w2-cached: a fully cached rebuild of the same COPY into each tool's own store.
# Peer docker (issue 18, bench/docker_peer.sh): `DOCKER_BUILDKIT=1 docker build` on a private
# dockerd 20.10, in the same hyperfine runs: cached (30 instr, linux), w1/w2 cold (--no-cache,
# empty BuildKit cache) and fully cached. dockerd's BuildKit exports only to its image store
# (uncompressed layers; no oci/docker exporter in 20.10), so a second cold row adds `docker save`
# to get an archive on disk (uncompressed too; kiln's OCI layout is gzip).
# Peak RSS of each kiln build from /usr/bin/time -v. Results in bench/out/build_*.json.
# Also in the cold rows (issue 16): `kiln layer create` of the same tree into a file, the bound a
# cold COPY build is held to (the layer written once, plus the build's own work).
# Usage: bench/build_bench.sh [path/to/kiln] [runs]   (SKIP_BUILDAH=1 / SKIP_DOCKER=1 leave
# the peer out; DRIVERS="vfs" picks buildah's storage drivers; ONLY=cold runs the cold COPY
# rows (2/3) alone, without the gzip-6 variants)
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-5}
shared=${KILN_SHARED_DIR:-$(realpath -m ../shared)}
[[ -d $shared ]] || shared=$(realpath -m ../../shared)  # from a worktree (/work/wt/<name>)
if [[ ! -f $shared/bench/gen_context.py ]]; then
  echo "build_bench: needs ../shared/bench/gen_context.py for the W1/W2 contexts (not found under $shared; set KILN_SHARED_DIR)" >&2
  exit 2
fi
work=$(realpath -m bench/work/build)
base=$(realpath samples/bases/nanoserver)
mkdir -p "$work" bench/out
echo "build_bench: load $(uptime)"
source bench/docker_peer.sh
docker_peer_start "$work/dockerd"

for w in app small; do
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

# docker's rows of the cached bench: the Linux Dockerfile, built once before the runs.
docker_cached_cmds() {  # CTX
  [[ -n $docker_peer ]] || return 0
  eval "$(docker_peer_build cached:1 "$1/Dockerfile.linux" "$1")"
  cmds+=(-n "docker cached rebuild (30 instr, linux)" "$(docker_peer_build cached:1 "$1/Dockerfile.linux" "$1")")
}

# docker's rows of a cold COPY build: into the image store, and the same plus `docker save`.
docker_copy_cmds() {  # W CTX
  [[ -n $docker_peer ]] || return 0
  local build
  build=$(docker_peer_build "$1:1" "$2/Dockerfile.linux" "$2" --no-cache)
  cmds+=(--prepare "$(docker_peer_cold_prep "$1:1")" -n "docker $1 linux (image store)" "$build"
         --prepare "$(docker_peer_cold_prep "$1:1")" -n "docker $1 linux + docker save"
         "$build && $docker_cli save -o $work/d-out.tar $1:1")
}

# 4. Fully cached rebuild of the COPY-only Linux build, each tool into its own store, all
# stores filled by one build first.
copy_cached_bench() {  # W CTX
  local w=$1 ctx=$2 kcmd
  kcmd="$kiln --root $work/k-store --progress plain build -t $w:1 -f $ctx/Dockerfile.linux $ctx"
  rm -rf "$work/k-store"
  $kcmd > /dev/null 2>&1
  cmds=(-n "kiln $w linux cached" "$kcmd >/dev/null 2>&1")
  if [[ -z ${SKIP_BUILDAH:-} ]]; then
    for d in "${drivers[@]}"; do
      $(bah "$d") bud --layers -q -t "$w:1" -f "$ctx/Dockerfile.linux" "$ctx" > /dev/null
      cmds+=(-n "buildah-$d $w linux cached"
        "$(bah "$d") bud --layers -q -t $w:1 -f $ctx/Dockerfile.linux $ctx >/dev/null")
    done
  fi
  if [[ -n $docker_peer ]]; then
    eval "$(docker_peer_build "$w:1" "$ctx/Dockerfile.linux" "$ctx")"
    cmds+=(-n "docker $w linux cached" "$(docker_peer_build "$w:1" "$ctx/Dockerfile.linux" "$ctx")")
  fi
  hyperfine --warmup 1 --runs "$runs" --export-json "bench/out/build_$w-cached.json" "${cmds[@]}"
}

# --- 1. fully cached rebuild of 30 instructions ---------------------------------------------------
cached=$work/cached
rm -rf "$cached" && mkdir -p "$cached/ctx/src"
for i in $(seq 1 8); do head -c $((i * 4096)) /dev/urandom > "$cached/ctx/src/f$i.bin"; done
body() {
  for i in $(seq 1 6); do
    echo "ENV STEP_$i=value-$i"
    echo "LABEL com.example.step$i=\"label $i\""
    echo "WORKDIR $1/app/d$i"
    echo "COPY src/f$i.bin f$i.bin"
  done
  echo "USER $2"
  echo "EXPOSE 8080"
  echo "ENV PATH_EXTRA=x"
  echo "CMD [\"app\"]"
  echo "STOPSIGNAL SIGTERM"
}
{ echo "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022"; body C: ContainerUser; } \
  > "$cached/ctx/Dockerfile.windows"
{ echo "FROM scratch"; body "" 1000; } > "$cached/ctx/Dockerfile.linux"
echo "cached: $(grep -c . "$cached/ctx/Dockerfile.windows") instructions"
kbuild_cached=("$kiln" --root "$cached/store" --progress plain build -t cached:1
  --build-context "mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022"
  -f "$cached/ctx/Dockerfile.windows" "$cached/ctx")
read -r -a drivers <<<"${DRIVERS:-vfs overlay}"
# buildah with its own storage per driver: bah DRIVER -> the command prefix.
bah() { echo "buildah --root $work/buildah-root-$1 --runroot $work/buildah-run-$1 --storage-driver $1"; }
if [[ ${ONLY:-} != cold ]]; then
"${kbuild_cached[@]}" > /dev/null 2>&1
kbuild_cached_linux=("$kiln" --root "$cached/store" --progress plain build -t cached:linux
  -f "$cached/ctx/Dockerfile.linux" "$cached/ctx")
"${kbuild_cached_linux[@]}" > /dev/null 2>&1
cmds=(-n "kiln cached rebuild (30 instr, linux)" "${kbuild_cached_linux[*]} >/dev/null 2>&1"
      -n "kiln cached rebuild (30 instr, windows)" "${kbuild_cached[*]} >/dev/null 2>&1")
if [[ -z ${SKIP_BUILDAH:-} ]]; then
  for d in "${drivers[@]}"; do
    rm -rf "$work/buildah-root-$d" "$work/buildah-run-$d"
    $(bah "$d") bud --layers -q -t cached:1 -f "$cached/ctx/Dockerfile.linux" "$cached/ctx" > /dev/null
    cmds+=(-n "buildah-$d cached rebuild (30 instr, linux)"
      "$(bah "$d") bud --layers -q -t cached:1 -f $cached/ctx/Dockerfile.linux $cached/ctx >/dev/null")
  done
fi
docker_cached_cmds "$cached/ctx"
hyperfine --warmup 2 --runs 10 --export-json bench/out/build_cached.json "${cmds[@]}"
fi

# --- 2/3. COPY-only builds into an OCI layout ----------------------------------------------------
# Builds every variant once more and prints the compressed size of its layers (the blobs the
# OCI layout's manifest lists as layers), so times can be read beside sizes.
output_sizes() {
  local name out
  local -n vars=$1 preps=$2
  echo "| variant | layer bytes (compressed) |"
  echo "|---|---:|"
  while read -r name; do
    bash -c "${preps[$name]}"
    bash -c "${vars[$name]}" > /dev/null 2>&1 || { echo "| $name | failed |"; continue; }
    if [[ $name == *"layer create"* ]]; then echo "| $name | $(stat -c %s "$work/k-out/layer.tgz") |"; continue; fi
    out=$work/k-out; [[ $name == buildah* ]] && out=$work/b-out
    echo "| $name | $(python3 - "$out" <<'PY'
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = idx["manifests"][-1]["digest"].split(":")[1]
man = json.load(open(os.path.join(d, "blobs/sha256", m)))
if "manifests" in man:  # an index (image first, then its attestation manifest)
    man = json.load(open(os.path.join(d, "blobs/sha256", man["manifests"][0]["digest"].split(":")[1])))
print(sum(l["size"] for l in man["layers"]))
PY
) |"
  done < <(printf '%s\n' "${!vars[@]}" | sort)
}

for w in app small; do
  ctx=$work/ctx-$w
  klin="$kiln --root $work/k-store --progress plain build --no-cache -f $ctx/Dockerfile.linux \
-o type=oci,dest=$work/k-out $ctx"
  kwin="$kiln --root $work/k-store --progress plain build --no-cache -f $ctx/Dockerfile.windows \
--build-context mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022 \
-o type=oci,dest=$work/k-out $ctx"
  declare -A variant=(["kiln $w linux"]="$klin" ["kiln $w windows"]="$kwin"
                      ["kiln $w layer create (bound)"]="mkdir -p $work/k-out && $kiln layer create --format linux -o $work/k-out/layer.tgz $ctx/data")
  declare -A prepare=(["kiln $w linux"]="rm -rf $work/k-store $work/k-out")
  prepare["kiln $w windows"]=${prepare["kiln $w linux"]}
  prepare["kiln $w layer create (bound)"]=${prepare["kiln $w linux"]}
  if [[ ${ONLY:-} != cold ]]; then
    variant["kiln $w linux gzip-6"]="$klin --compression-level 6"
    prepare["kiln $w linux gzip-6"]=${prepare["kiln $w linux"]}
  fi
  if [[ -z ${SKIP_BUILDAH:-} ]]; then
    for d in "${drivers[@]}"; do
      b=$(bah "$d")
      variant["buildah-$d $w linux"]="$b bud -q -t $w:1 -f $ctx/Dockerfile.linux $ctx >/dev/null && \
$b push -q $w:1 oci:$work/b-out >/dev/null"
      prepare["buildah-$d $w linux"]="rm -rf $work/buildah-root-$d $work/buildah-run-$d $work/b-out"
    done
    if [[ ${ONLY:-} != cold ]]; then
      variant["buildah-overlay $w linux gzip-6"]="$b bud -q -t $w:1 -f $ctx/Dockerfile.linux $ctx \
>/dev/null && $b push -q --compression-format gzip --compression-level 6 $w:1 oci:$work/b-out >/dev/null"
      prepare["buildah-overlay $w linux gzip-6"]=${prepare["buildah-overlay $w linux"]}
    fi
  fi
  cmds=()
  while read -r name; do
    cmds+=(--prepare "${prepare[$name]}" -n "$name" "${variant[$name]} >/dev/null 2>&1")
  done < <(printf '%s\n' "${!variant[@]}" | sort)
  docker_copy_cmds "$w" "$ctx"
  hyperfine --runs "$runs" --export-json "bench/out/build_$w.json" "${cmds[@]}"
  output_sizes variant prepare | tee "bench/out/build_${w}_sizes.txt"
  unset variant prepare
  for os in linux windows; do
    rm -rf "$work/k-store" "$work/k-out"
    cmd=$klin; [[ $os == windows ]] && cmd=$kwin
    /usr/bin/time -v bash -c "$cmd" > /dev/null 2> "$work/time.txt"
    echo "peak RSS kiln $w $os: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt") KiB"
  done
done
if [[ ${ONLY:-} != cold ]]; then
  for w in app small; do copy_cached_bench "$w" "$work/ctx-$w"; done
fi
rm -rf "$work/k-store" "$work/k-out" "$work/b-out" "$work/d-out.tar"
if [[ -z ${SKIP_BUILDAH:-} ]]; then
  for d in "${drivers[@]}"; do $(bah "$d") rm -a > /dev/null 2>&1 || true; done
fi
echo "build_bench: load after $(uptime)"
