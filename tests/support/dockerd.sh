# Sourced by shell tests and benches that need a real docker daemon (Debian's docker.io 20.10):
# `dockerd_start DIR` starts a private dockerd (socket, data root, exec root, pidfile, managed
# containerd and its runc root all under DIR; no bridge, no iptables, no /etc/docker/daemon.json)
# and `dockerd_stop` stops it by PID (also run on EXIT). `dock ARGS...` is the matching client
# on that socket. When the daemon cannot start, the caller is ended with one line
#   SKIP: dockerd cannot start here: <reason>
# and exit code 77 (ctest's SKIP_RETURN_CODE for tests/scripts/*_test.sh); with DOCKERD_SOFT=1
# (benches) dockerd_start prints the same line and returns 1 instead.
#
# The client is /usr/bin/docker, the daemon's own (20.10, API 1.41): /usr/local/bin/docker (28.x)
# talks to it only by downgrading its API, and its `docker build` needs the buildx plugin,
# which is not installed, so `DOCKER_BUILDKIT=1 docker build` fails there.
# Nothing here touches another dockerd: every path is under DIR, and stopping kills only the
# PIDs this daemon wrote (dockerd, its containerd) and shims started for its containerd socket.

dockerd_bin=${DOCKERD_BIN:-/usr/sbin/dockerd}
docker_bin=${DOCKER_CLIENT_BIN:-/usr/bin/docker}
dockerd_dir=""
dockerd_pid=""

dockerd_skip() {
  echo "SKIP: dockerd cannot start here: $*"
  [ -n "${DOCKERD_SOFT:-}" ] || exit 77
}

dock() { DOCKER_CONFIG="$dockerd_dir/client" "$docker_bin" -H "unix://$dockerd_dir/docker.sock" "$@"; }

# Starts the daemon under DIR (created if missing; a short path keeps overlay mount options
# short) and waits until it answers, up to DOCKERD_WAIT seconds (default 60).
dockerd_start() {
  dockerd_dir=$(realpath -m "$1")
  [ "$(id -u)" -eq 0 ] || { dockerd_skip "not root"; return 1; }
  [ -x "$dockerd_bin" ] || { dockerd_skip "$dockerd_bin not installed (Debian docker.io)"; return 1; }
  [ -x "$docker_bin" ] || { dockerd_skip "$docker_bin not installed (Debian docker.io)"; return 1; }
  mkdir -p "$dockerd_dir/client"
  echo '{}' > "$dockerd_dir/daemon.json"
  dockerd_chain_exit_trap
  "$dockerd_bin" --config-file "$dockerd_dir/daemon.json" \
    --data-root "$dockerd_dir/root" --exec-root "$dockerd_dir/exec" \
    --pidfile "$dockerd_dir/dockerd.pid" -H "unix://$dockerd_dir/docker.sock" \
    --bridge=none --iptables=false --ip6tables=false --storage-driver=overlay2 \
    --containerd-namespace kiln-test --containerd-plugins-namespace kiln-test-plugins \
    > "$dockerd_dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  local i
  for ((i = 0; i < ${DOCKERD_WAIT:-60} * 4; i++)); do
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      local rc=0
      wait "$dockerd_pid" || rc=$?
      dockerd_pid=""
      dockerd_skip "it exited with code $rc: $(dockerd_last_error)"
      return 1
    fi
    dock version > /dev/null 2>&1 && return 0
    sleep 0.25
  done
  dockerd_stop
  dockerd_skip "no answer on its socket after ${DOCKERD_WAIT:-60} s: $(dockerd_last_error)"
  return 1
}

# The last error-level line of the daemon's log (or its last line).
dockerd_last_error() {
  local line
  line=$(grep -E 'level=(fatal|error)|^failed' "$dockerd_dir/dockerd.log" 2>/dev/null | tail -1)
  [ -n "$line" ] || line=$(tail -1 "$dockerd_dir/dockerd.log" 2>/dev/null)
  echo "${line:-no output}"
}

# SIGTERM to dockerd (it stops its containers and its containerd), SIGKILL after 20 s; then
# whatever of ours survived a kill: the managed containerd and shims started for its socket.
# Then unmounts what is left below DIR, and removes DIR when DOCKERD_REMOVE=1. Idempotent.
dockerd_stop() {
  [ -n "$dockerd_dir" ] || return 0
  local i pid
  if [ -n "$dockerd_pid" ]; then
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for ((i = 0; i < 80; i++)); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
  fi
  pid=$(cat "$dockerd_dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && grep -qF "$dockerd_dir/" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for pid in $(grep -lF "$dockerd_dir/exec/containerd/containerd.sock" /proc/[0-9]*/cmdline \
                 2>/dev/null | cut -d/ -f3); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  findmnt -rn -o TARGET | awk -v p="$dockerd_dir/" 'index($0, p) == 1' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if [ -n "${DOCKERD_REMOVE:-}" ]; then rm -rf "$dockerd_dir"; fi
}

# Runs dockerd_stop before whatever EXIT trap the caller set already.
dockerd_chain_exit_trap() {
  local prev
  prev=$(trap -p EXIT)
  if [ -n "$prev" ]; then
    eval "set -- $prev"
    trap "dockerd_stop; $3" EXIT
  else
    trap dockerd_stop EXIT
  fi
}
