# Sourced by bench/build_bench.sh and bench/run_bench.sh: `DOCKER_BUILDKIT=1 docker build` as a
# peer (issue 18), on a private dockerd (tests/support/dockerd.sh) whose data root is under the
# bench's work dir, stopped by PID when the bench exits. The client is /usr/bin/docker, the
# daemon's own (20.10): its built-in BuildKit builds; the newer /usr/local/bin/docker would need
# the buildx plugin, absent here. SKIP_DOCKER=1, or a dockerd that cannot start, leaves the
# docker rows out (one SKIP line says why) and the bench runs on.
# shellcheck source=../tests/support/dockerd.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/support/dockerd.sh"

docker_peer=""   # non-empty once the daemon answers
docker_cli=""    # the client as one shell word list, for hyperfine command strings

# docker_peer_start DIR: starts the daemon under DIR (wiped first).
docker_peer_start() {
  [[ -z ${SKIP_DOCKER:-} ]] || return 0
  rm -rf "$1"
  DOCKERD_REMOVE=1  # the daemon's data root holds copies of the contexts: gone on exit
  if DOCKERD_SOFT=1 dockerd_start "$1"; then
    docker_peer=1
    docker_cli="env DOCKER_BUILDKIT=1 DOCKER_CONFIG=$dockerd_dir/client $docker_bin -H unix://$dockerd_dir/docker.sock"
    echo "docker peer: $(dock version --format 'client {{.Client.Version}}, daemon {{.Server.Version}} (API {{.Server.APIVersion}})')"
  fi
}

# What a cold docker build starts from: no image of that name and an empty BuildKit cache.
docker_peer_cold_prep() {  # TAG -> a shell command for hyperfine --prepare
  echo "$docker_cli image rm -f $1 >/dev/null 2>&1; $docker_cli builder prune -af >/dev/null"
}

# A docker build into the daemon's image store; docker's own output (the classic builder's
# way), not a file: see build_bench.sh for the OCI-tar variant.
docker_peer_build() {  # TAG DOCKERFILE CONTEXT [extra flags] -> a shell command
  local tag=$1 file=$2 ctx=$3
  shift 3
  echo "$docker_cli build -q $* -t $tag -f $file $ctx >/dev/null"
}
