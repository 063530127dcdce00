#!/usr/bin/env bash
# RUN on Linux (issue 6): per-step overhead of RUN steps, kiln vs `buildah build`, same run.
# Two Dockerfiles on the same busybox base (FROM scratch + Debian's busybox-static + its applet
# links): "base" stops there, "steps" adds 10 small RUN steps. Both tools build both files
# without their caches; per-step overhead = (mean(steps) - mean(base)) / 10, in wall time and
# in CPU time (user + system of the tool and its children: less sensitive to a loaded machine).
#   kiln:    kiln build --no-cache (runc + overlayfs, one layer per step, gzip)
#   buildah: buildah build --isolation chroot --layers --no-cache (one layer per step as kiln;
#            runc isolation is not faster here) — and without --layers (buildah's default: the
#            steps share one container and one final commit). Each on both storage drivers:
#            vfs (copies every layer) and overlay (as root, buildah's fastest here).
#   docker:  DOCKER_BUILDKIT=1 docker build --no-cache --network none on a private dockerd 20.10
#            (bench/docker_peer.sh; runc via containerd, overlay2, one layer per step into its
#            image store, uncompressed). SKIP_DOCKER=1 leaves it out.
# Usage (root): bench/run_bench.sh path/to/kiln [OUT_DIR]. Needs runc, buildah, hyperfine
# (scripts/setup.sh bench). Results (hyperfine JSON + markdown, uptime) go to OUT_DIR (default
# bench/out/run). Numbers on a shared machine are preliminary: the load is recorded.
set -euo pipefail

KILN=$(readlink -f "${1:?usage: $0 path/to/kiln [out-dir]}")
OUT=$(realpath -m "${2:-$(dirname "$0")/out/run}")
RUNS=${RUNS:-5}
STEPS=10
[ "$(id -u)" -eq 0 ] || { echo "run as root (RUN steps need runc and overlayfs)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/kiln-bench-run-XXXXXX)
DRIVERS=(vfs overlay)
cleanup() {
  for d in "${DRIVERS[@]}"; do
    buildah --root "$WORK/buildah-$d" --runroot "$WORK/buildah-run-$d" --storage-driver "$d" \
      rm --all >/dev/null 2>&1 || true
  done
  findmnt -rn -o TARGET | awk -v p="$WORK/" 'index($0, p) == 1' | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for name in base steps; do
  mkdir -p "$WORK/$name"
  cp /bin/busybox "$WORK/$name/"
  {
    echo 'FROM scratch'
    echo 'COPY busybox /bin/busybox'
    echo 'RUN ["/bin/busybox", "--install", "-s", "/bin"]'
    if [ "$name" = steps ]; then
      for i in $(seq 1 $STEPS); do echo "RUN echo step $i > /step$i && ls / > /dev/null"; done
    fi
  } > "$WORK/$name/Dockerfile"
done

kiln="$KILN --root $WORK/kiln --progress quiet build --no-cache"
# buildah's build command on one storage driver.
buildah_build() {
  echo "buildah --root $WORK/buildah-$1 --runroot $WORK/buildah-run-$1 --storage-driver $1 build \
--isolation chroot --no-cache --quiet"
}
# Warm-up outside the measurement: kiln's store and unpack cache, buildah's storage.
$kiln "$WORK/steps" > /dev/null
# docker's rows, after a warm-up build (the daemon's layer store and BuildKit's context).
docker_run_cmds() {
  [[ -n $docker_peer ]] || return 0
  local b name
  eval "$(docker_peer_build run:1 "$WORK/steps/Dockerfile" "$WORK/steps" --no-cache --network none)"
  for name in base steps; do
    b=$(docker_peer_build run:1 "$WORK/$name/Dockerfile" "$WORK/$name" --no-cache --network none)
    cmds+=(-n "docker $name" "$b")
  done
}
source "$(dirname "$0")/docker_peer.sh"
docker_peer_start "$WORK/dockerd"
cmds=(-n "kiln base" "$kiln $WORK/base" -n "kiln steps" "$kiln $WORK/steps")
for d in "${DRIVERS[@]}"; do
  b=$(buildah_build "$d")
  $b --layers "$WORK/steps" > /dev/null
  cmds+=(-n "buildah-$d --layers base" "$b --layers $WORK/base"
         -n "buildah-$d --layers steps" "$b --layers $WORK/steps"
         -n "buildah-$d base" "$b $WORK/base" -n "buildah-$d steps" "$b $WORK/steps")
done
docker_run_cmds

uptime | tee "$OUT/uptime-before.txt"
hyperfine --runs "$RUNS" --export-json "$OUT/run.json" --export-markdown "$OUT/run.md" "${cmds[@]}"
uptime | tee "$OUT/uptime-after.txt"

python3 - "$OUT/run.json" "$STEPS" <<'PY' | tee "$OUT/per-step.txt"
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
steps = int(sys.argv[2])
for tool in ("kiln", "buildah-vfs --layers", "buildah-vfs", "buildah-overlay --layers",
             "buildah-overlay", "docker"):
    if tool + " base" not in res:
        continue
    base, full = res[tool + " base"], res[tool + " steps"]
    per = (full["mean"] - base["mean"]) / steps * 1000
    cpu = lambda r: r["user"] + r["system"]  # the tool and its children (runc, the step)
    cpu_per = (cpu(full) - cpu(base)) / steps * 1000
    # docker's work runs in dockerd/containerd, not under the client hyperfine times.
    cpu_text = "  n/a ms cpu (in the daemon)" if tool == "docker" else f"{cpu_per:5.0f} ms cpu"
    print(f"{tool:24s} base {base['mean']:6.2f} s  +{steps} RUN {full['mean']:6.2f} s"
          f"  per step {per:6.0f} ms wall, {cpu_text}")
PY
