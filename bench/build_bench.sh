#!/usr/bin/env bash
# Builder benchmarks (issue 5), each in the same hyperfine run as its peer:
#  1. cached: a fully cached rebuild of a 30-instruction Windows Dockerfile (COPY, ENV, LABEL,
#     WORKDIR, USER, ...) on the synthetic Nano Server base; goal < 100 ms wall. Peer: buildah bud
#     --layers of the same instructions FROM scratch (buildah cannot build Windows images).
#  2. w1 / w2: a COPY-only build into an OCI layout of the two contexts of
#     ../shared/bench/gen_context.py (W1 "app" ~300 MiB, W2 "small" 30,000 files), from an empty
#     store and without cache, vs `buildah bud` + `buildah push oci:` (vfs driver) of the same
#     FROM scratch + COPY. Goal: kiln >= 5x faster on W1, >= 25x on W2.
#  3. w1-windows / w2-windows: the same COPY as a Windows image on the synthetic base (its layers
#     are written to the OCI layout too); goal within 1.1x of the Linux build.
# Peak RSS of each kiln build from /usr/bin/time -v. Results in bench/out/build_*.json.
# Usage: bench/build_bench.sh [path/to/kiln] [runs]   (SKIP_BUILDAH=1 to time kiln only)
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${2:-5}
shared=${KILN_SHARED_DIR:-$(realpath ../shared)}
work=$(realpath -m bench/work/build)
base=$(realpath samples/bases/nanoserver)
mkdir -p "$work" bench/out
echo "build_bench: load $(uptime)"

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
"${kbuild_cached[@]}" > /dev/null 2>&1
bah=(buildah --root "$work/buildah-root" --runroot "$work/buildah-run" --storage-driver vfs)
cmds=(-n "kiln cached rebuild (30 instr, windows)" "${kbuild_cached[*]} >/dev/null 2>&1")
if [[ -z ${SKIP_BUILDAH:-} ]]; then
  rm -rf "$work/buildah-root" "$work/buildah-run"
  "${bah[@]}" bud --layers -q -t cached:1 -f "$cached/ctx/Dockerfile.linux" "$cached/ctx" > /dev/null
  cmds+=(-n "buildah cached rebuild (30 instr, linux)"
    "${bah[*]} bud --layers -q -t cached:1 -f $cached/ctx/Dockerfile.linux $cached/ctx >/dev/null")
fi
hyperfine --warmup 2 --runs 20 --export-json bench/out/build_cached.json "${cmds[@]}"

# --- 2/3. COPY-only builds into an OCI layout ----------------------------------------------------
for w in app small; do
  ctx=$work/ctx-$w
  klin="$kiln --root $work/k-store --progress plain build --no-cache -f $ctx/Dockerfile.linux \
-o type=oci,dest=$work/k-out $ctx"
  kwin="$kiln --root $work/k-store --progress plain build --no-cache -f $ctx/Dockerfile.windows \
--build-context mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base:ltsc2022 \
-o type=oci,dest=$work/k-out $ctx"
  prep="rm -rf $work/k-store $work/k-out"
  cmds=(--prepare "$prep" -n "kiln $w linux" "$klin >/dev/null 2>&1"
        --prepare "$prep" -n "kiln $w windows" "$kwin >/dev/null 2>&1")
  if [[ -z ${SKIP_BUILDAH:-} ]]; then
    bprep="rm -rf $work/buildah-root $work/buildah-run $work/b-out"
    bcmd="${bah[*]} bud -q -t $w:1 -f $ctx/Dockerfile.linux $ctx >/dev/null && \
${bah[*]} push -q $w:1 oci:$work/b-out >/dev/null"
    cmds+=(--prepare "$bprep" -n "buildah $w linux" "$bcmd")
  fi
  hyperfine --runs "$runs" --export-json "bench/out/build_$w.json" "${cmds[@]}"
  for os in linux windows; do
    rm -rf "$work/k-store" "$work/k-out"
    cmd=$klin; [[ $os == windows ]] && cmd=$kwin
    /usr/bin/time -v bash -c "$cmd" > /dev/null 2> "$work/time.txt"
    echo "peak RSS kiln $w $os: $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt") KiB"
  done
done
rm -rf "$work/k-store" "$work/k-out" "$work/b-out"
[[ -z ${SKIP_BUILDAH:-} ]] && "${bah[@]}" rm -a > /dev/null 2>&1 || true
echo "build_bench: load after $(uptime)"
