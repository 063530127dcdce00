# Sourced by the registry_cache_*_test.sh scripts (issue 15): a temp dir, a docker-registry with
# its access log on, runners (one store each), and helpers that read what a runner asked the
# registry for. Not a test itself (no _test.sh suffix).
set -euo pipefail
export LC_ALL=C
kiln_bin=$(realpath "${1:?usage: $0 KILN_BINARY}")
src=${KILN_SOURCE_DIR:?}
command -v docker-registry > /dev/null || { echo "kiln-skip: docker-registry is not installed"; exit 77; }
t=$(mktemp -d /tmp/kiln-regcache.XXXXXX)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"

# runner NAME ARGS...: kiln with its own store $t/NAME (one CI runner), plain progress into
# $t/NAME.log; fails the test when kiln fails.
runner() {
  local name=$1; shift
  # Builds compare image digests across runners: no default provenance (its start/finish times
  # differ per build; issue 17), so the pushed top is the image manifest as before.
  if [ "${1:-}" = build ]; then shift; set -- build --provenance=false "$@"; fi
  "$kiln_bin" --root "$t/store-$name" --progress plain "$@" > "$t/$name.out" 2> "$t/$name.log" ||
    { cat "$t/$name.log" >&2; fail "runner $name: kiln $* failed"; }
}

# start_registry: docker-registry 2.8 on a free loopback port with the access log on (stdout
# lines `... "METHOD PATH HTTP/1.1" STATUS ...`); sets $reg and $reglog.
start_registry() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  reg=127.0.0.1:$port
  reglog=$t/registry/access.log
  mkdir -p "$t/registry"
  cat > "$t/registry/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: false}}
storage:
  filesystem: {rootdirectory: $t/registry/data}
  delete: {enabled: true}
http: {addr: $reg, secret: kiln-test}
YML
  docker-registry serve "$t/registry/config.yml" > "$reglog" 2>&1 &
  registry_pid=$!
  for _ in $(seq 200); do curl -sf "http://$reg/v2/" > /dev/null && break; sleep 0.05; done
  curl -sf "http://$reg/v2/" > /dev/null || { cat "$reglog"; fail "docker-registry did not start"; }
}

# log_mark: the number of access-log lines so far; requests_since MARK: "METHOD PATH STATUS"
# per request after it (the registry writes a line when it answers, so wait for quiet first).
log_mark() { sleep 0.2; grep -c '"[A-Z]* /v2/' "$reglog" || true; }
requests_since() {
  sleep 0.2
  grep '"[A-Z]* /v2/' "$reglog" | tail -n +"$(( $1 + 1 ))" |
    sed -E 's/.*"([A-Z]+) ([^ ]+) HTTP[^"]*" ([0-9]+).*/\1 \2 \3/'
}
# Blob GETs and blob uploads (POST/PATCH/PUT on /blobs/uploads) among requests_since's lines.
blob_gets() { grep -E '^GET /v2/.*/blobs/sha256:' || true; }
blob_uploads() { grep -E '^(POST|PATCH|PUT) /v2/.*/blobs/uploads/' || true; }
# The digests a set of upload lines completed (PUT ...?digest=sha256:...; mounts are POSTs with
# mount= and answer 201 without a PUT).
uploaded_digests() { grep -E '^PUT ' | grep -oE 'digest=sha256(%3A|:)[0-9a-f]{64}' | sed -E 's/digest=sha256(%3A|:)/sha256:/' | sort -u || true; }

# manifest_of REPO:TAG -> the manifest JSON (an extra GET in the log: take marks before it).
manifest_of() {
  curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/${1%%:*}/manifests/${1#*:}"
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
