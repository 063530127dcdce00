# Sourced by the linux_run_*_test.sh scripts (RUN on Linux through runc and overlayfs): a temp
# dir with its own store, a context holding Debian's busybox-static, a cleanup that removes what
# a failing test left (containers, mounts, files), and the "nothing left behind" checks.
set -euo pipefail
export LC_ALL=C
kiln_bin=$(realpath "${1:?usage: $0 KILN_BINARY}")
src=${KILN_SOURCE_DIR:?}
if [ "$(id -u)" -ne 0 ]; then
  echo "these tests run RUN steps: they need root (runc, overlayfs mounts)" >&2
  exit 1
fi
t=$(mktemp -d /tmp/kiln-linuxrun.XXXXXX)
store=$t/store
runc_state=$store/runc/state

registry_pid=""
cleanup() {
  local id m
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
  if [ -d "$runc_state" ]; then
    for id in $(runc --root "$runc_state" list -q 2>/dev/null); do
      runc --root "$runc_state" delete -f "$id" >/dev/null 2>&1 || true
    done
  fi
  findmnt -rn -o TARGET | awk -v p="$t/" 'index($0, p) == 1' | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$t"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

kiln() { "$kiln_bin" --root "$store" --progress plain "$@"; }

# start_registry: a docker-registry on a free loopback port, storing under $t/registry; sets
# $reg (host:port) and $registry_pid (stopped by cleanup).
start_registry() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  reg=127.0.0.1:$port
  mkdir -p "$t/registry"
  cat > "$t/registry/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $t/registry/data}
http: {addr: $reg, secret: kiln-test}
YML
  docker-registry serve "$t/registry/config.yml" > "$t/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 200); do curl -sf "http://$reg/v2/" > /dev/null && break; sleep 0.05; done
  curl -sf "http://$reg/v2/" > /dev/null || { cat "$t/registry/log"; fail "docker-registry did not start"; }
}

# A build context with the busybox binary and the Dockerfile given on stdin.
make_context() {
  local dir=$1
  mkdir -p "$dir"
  cp /bin/busybox "$dir/busybox"
  cat > "$dir/Dockerfile"
}

# No runc container in kiln's runc root and no mount below the temp dir.
check_nothing_left() {
  local what=$1 left
  left=$(runc --root "$runc_state" list -q 2>/dev/null || true)
  [ -z "$left" ] || fail "$what: runc containers left: $left"
  left=$(findmnt -rn -o TARGET | grep "^$t/" || true)
  [ -z "$left" ] || fail "$what: mounts left: $left"
  left=$(ls -A "$store/runc/bundles" 2>/dev/null || true)
  [ -z "$left" ] || fail "$what: runc bundles left: $left"
}

# Every file, directory and link under the store with its size and content hash: two equal
# listings mean an unchanged store.
store_listing() {
  (cd "$store" && find . -path ./runc/locks -prune -o -printf '%y %m %s %p\n' | sort) > "$1"
  (cd "$store" && find . -type f -not -path './runc/*' -print0 | sort -z | xargs -0r sha256sum) >> "$1"
}

# One line per path of an unpacked root: path, type+mode, owner, link count, link target, and
# the content of small regular files (the busybox binary is compared separately).
tree_listing() {
  local root=$1
  (cd "$root" && find . -mindepth 1 -not -path './bin/*' -printf '%p %M %U:%G %n %l\n' | sort)
  (cd "$root" && find . -type f -not -path './bin/*' -size -2k -print0 | sort -z |
    while IFS= read -r -d '' f; do printf '%s: %s\n' "$f" "$(tr '\n' '|' < "$f")"; done)
}
