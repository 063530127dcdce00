#!/usr/bin/env bash
# Issue 12, items 4 and 6: what a hostile registry may not make kiln do. Runs inside a private
# network namespace (unshare -n) whose lo also holds 10.77.0.1, so a non-loopback host exists
# and nothing leaves the machine. Real docker-registry and token server; a fault-injecting
# front (tests/support/hostile_proxy.py) for redirects and drips.
#  - a token realm http://127.0.0.1:1@10.77.0.1:PORT/token (userinfo hiding the real host),
#  - an upload Location on http://10.77.0.1 (docker-registry's http.host),
#  - a blob redirect to http://10.77.0.1
# are refused without --insecure-registry, with a clear message and exit code 3 (and work with
# it); a manifest dripped at 2 bytes/s ends at --registry-timeout; a redirect loop fails at once.
set -euo pipefail
export LC_ALL=C
if [ -z "${KILN_IN_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "needs root (unshare -n)" >&2; exit 1; }
  exec env KILN_IN_NETNS=1 unshare -n bash "$0" "$@"
fi
kiln_bin=$(realpath "${1:?usage: $0 KILN_BINARY}")
src=${KILN_SOURCE_DIR:?}
ip link set lo up
ip addr add 10.77.0.1/32 dev lo
far=10.77.0.1
t=$(mktemp -d /tmp/kiln-hostile.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

wait_port() {  # ADDR PORT
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on $1:$2"
}

# registry NAME PORT [extra config lines]: docker-registry on every address of the namespace.
registry() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$t/$name"
  { printf 'version: 0.1\nlog: {level: info, formatter: text}\n'
    printf 'storage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\n' "$t/$name/data"
    printf 'http:\n  addr: 0.0.0.0:%s\n  secret: kiln-test-secret\n' "$port"
    local line
    for line in "$@"; do printf '%s\n' "$line"; done
  } > "$t/$name/config.yml"
  docker-registry serve "$t/$name/config.yml" > "$t/$name/log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$port"
}

# proxy MODE PORT UPSTREAM_PORT [TARGET]: the hostile front on 127.0.0.1.
proxy() {
  python3 "$src/tests/support/hostile_proxy.py" "$1" 127.0.0.1 "$2" "$3" "${4:-}" > "$t/proxy-$2.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$2"
}

kiln() { "$kiln_bin" --root "$t/store" --config "$t/docker" --progress plain "$@"; }

# run NAME SECONDS kiln-args...: runs kiln with a time limit; $t/NAME.err, $t/NAME.rc, $t/NAME.secs.
run() {
  local name=$1 limit=$2 rc=0 start end
  shift 2
  start=$(date +%s.%N)
  timeout "$limit" "$kiln_bin" --root "$t/store-$name" --config "$t/docker" --progress plain "$@" \
    > "$t/$name.out" 2> "$t/$name.err" || rc=$?
  end=$(date +%s.%N)
  echo "$rc" > "$t/$name.rc"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' > "$t/$name.secs"
}
expect_refused() {  # NAME TEXT...: exit 3 and each TEXT in the last line of stderr
  local name=$1 rc msg
  shift
  rc=$(cat "$t/$name.rc")
  msg=$(tail -n 1 "$t/$name.err")
  [ "$rc" = 3 ] || { cat "$t/$name.err"; fail "$name: exit code $rc, expected 3"; }
  local want
  for want in "$@"; do
    [[ "$msg" == *"$want"* ]] || { cat "$t/$name.err"; fail "$name: the error does not say \"$want\": $msg"; }
  done
  echo "ok: $name refused: $msg"
}
expect_ok() {
  local rc
  rc=$(cat "$t/$1.rc")
  [ "$rc" = 0 ] || { cat "$t/$1.err"; fail "$1: exit code $rc"; }
  echo "ok: $1 works"
}

# --- an image to move around --------------------------------------------------------------
mkdir -p "$t/docker" "$t/ctx"
echo '{"auths": {}}' > "$t/docker/config.json"
head -c 300000 /dev/urandom > "$t/ctx/payload"
printf 'FROM scratch\nCOPY payload /payload\n' > "$t/ctx/Dockerfile"
kiln build --platform linux/amd64 -t localhost/hostile:v1 "$t/ctx" > "$t/build.log" 2>&1 ||
  { cat "$t/build.log"; fail "build"; }

# --- 4a: a token realm whose userinfo hides the real host ----------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/token.key" -out "$t/token.crt" -days 2 \
  -subj /CN=kiln-test-token-issuer > /dev/null 2>&1
echo "kiln-user:kiln-Secret-pw1" > "$t/users"
: > "$t/tokens.log"
TOKEN_SERVER_ADDR=$far python3 "$src/tests/support/token_server.py" 5103 "$t/token.key" "$t/token.crt" \
  kiln-test-issuer kiln-test-registry "$t/users" "$t/tokens.log" > "$t/token-server.log" 2>&1 &
pids+=($!)
wait_port "$far" 5103
registry token 5102 "auth:" "  token:" "    realm: http://127.0.0.1:1@$far:5103/token" \
  "    service: kiln-test-registry" "    issuer: kiln-test-issuer" \
  "    rootcertbundle: $t/token.crt"
auth=$(printf 'kiln-user:kiln-Secret-pw1' | base64 -w0)
printf '{"auths": {"127.0.0.1:5102": {"auth": "%s"}}}\n' "$auth" > "$t/docker/config.json"
cp -a "$t/store" "$t/store-realm"
run realm 60 push localhost/hostile:v1 127.0.0.1:5102/t/img:v1
expect_refused realm "the token realm of 127.0.0.1:5102" "user information" "$far:5103"
if grep -q "/token" "$t/token-server.log"; then
  cat "$t/token-server.log"; fail "realm: credentials reached the token server at $far"
fi
echo '{"auths": {}}' > "$t/docker/config.json"

# --- 4b: an upload Location on a plain-HTTP non-loopback host ------------------------------
registry far-upload 5100 "  host: http://$far:5100"
cp -a "$t/store" "$t/store-location"
run location 60 push localhost/hostile:v1 127.0.0.1:5100/t/img:v1
expect_refused location "upload location http://$far:5100" "plain HTTP" "--insecure-registry $far:5100"
if grep -q "PUT /v2/t/img/blobs/uploads/" "$t/far-upload/log"; then
  fail "location: a blob was uploaded to $far before the refusal"
fi
# A refusal is not retried: one upload started per blob (config and layer), not one per attempt.
posts=$(grep -c "POST /v2/t/img/blobs/uploads/" "$t/far-upload/log" || true)
[ "$posts" -le 2 ] || fail "location: $posts uploads started (the refusal was retried)"
cp -a "$t/store" "$t/store-location-allowed"
run location-allowed 60 --insecure-registry "$far:5100" push localhost/hostile:v1 127.0.0.1:5100/t/img:v1
expect_ok location-allowed

# --- 4c: a blob redirect to a plain-HTTP non-loopback host ---------------------------------
registry plain 5101
kiln push localhost/hostile:v1 127.0.0.1:5101/t/img:v1 > "$t/push.log" 2>&1 ||
  { cat "$t/push.log"; fail "push to the plain registry"; }
proxy redirect-blobs 5104 5101 "http://$far:5101"
run redirect 60 pull --platform linux/amd64 127.0.0.1:5104/t/img:v1
expect_refused redirect "a redirect to http://$far:5101" "plain HTTP" "--insecure-registry $far:5101"
redirects=$(grep -c -- "-> 307" "$t/proxy-5104.log" || true)
[ "$redirects" -le 2 ] || fail "redirect: $redirects redirects answered (the refusal was retried)"
run redirect-allowed 60 --insecure-registry "$far:5101" pull --platform linux/amd64 127.0.0.1:5104/t/img:v1
expect_ok redirect-allowed

# --- 6a: a redirect loop fails at once ------------------------------------------------------
proxy redirect-loop 5105 5101
run loop 60 pull --platform linux/amd64 127.0.0.1:5105/t/img:v1
expect_refused loop "more than 10 redirects"
secs=$(cat "$t/loop.secs")
awk -v s="$secs" 'BEGIN { exit !(s < 5) }' || fail "loop: took $secs s (retried? 5 attempts took 45 s)"
loops=$(grep -c -- "-> 302" "$t/proxy-5105.log" || true)
[ "$loops" -le 22 ] || fail "loop: $loops redirects answered (the loop was retried)"
echo "ok: the redirect loop failed after $secs s"

# --- 6b: a manifest dripped at 2 bytes/s ends at the deadline -------------------------------
proxy drip-manifests 5106 5101
run drip 60 --registry-timeout 3 pull --platform linux/amd64 127.0.0.1:5106/t/img:v1
expect_refused drip "within 3 s"
secs=$(cat "$t/drip.secs")
awk -v s="$secs" 'BEGIN { exit !(s < 15) }' || fail "drip: took $secs s (retried?)"
echo "ok: the drip ended after $secs s"
echo "PASS"
