#!/usr/bin/env bash
# Registry benchmarks (issue 4), each run against its peers in the same run:
#   1. first push of a ~1 GB image of 5 layers: kiln push vs curl -T of the same blobs vs skopeo
#   2. repeat push with every blob present: kiln vs skopeo
#   3. pull into the local store: kiln pull vs curl GETs of the same blobs vs skopeo copy
#   4. peak RSS of kiln push and kiln pull (/usr/bin/time -v)
# Usage: bench/registry_bench.sh path/to/kiln [OUT_DIR]. Needs docker-registry, skopeo, curl,
# hyperfine, GNU time. Results (hyperfine JSON + markdown, RSS, uptime) go to OUT_DIR
# (default bench/out/registry). Numbers on a shared machine are preliminary: uptime is recorded.
set -euo pipefail

KILN=$(readlink -f "${1:?usage: $0 path/to/kiln [out-dir]}")
OUT=$(readlink -f "${2:-$(dirname "$0")/out/registry}")
RUNS=${RUNS:-3}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/kiln-bench-XXXXXX)
cleanup() {
  # start_registry runs in $(...) subshells: their PIDs come back through pid files.
  for f in "$WORK"/*/pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_registry() {  # name -> prints host:port
  local name=$1 port
  port=$(free_port)
  mkdir -p "$WORK/$name"
  cat >"$WORK/$name/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $WORK/$name/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port, secret: bench}
EOF
  docker-registry serve "$WORK/$name/config.yml" >"$WORK/$name/log" 2>&1 &
  echo $! >"$WORK/$name/pid"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
  echo "127.0.0.1:$port"
}

# --- an OCI layout with 5 random layers (~1 GiB) -------------------------------------------
LAYOUT=$WORK/layout
mkdir -p "$LAYOUT/blobs/sha256"
layers_json=""
for mib in 400 300 150 100 74; do
  f=$WORK/layer-$mib
  head -c $((mib << 20)) /dev/urandom >"$f"
  d=$(sha256sum "$f" | cut -d' ' -f1)
  mv "$f" "$LAYOUT/blobs/sha256/$d"
  layers_json+="${layers_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$((mib << 20))}"
done
config='{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
cd_=$(printf %s "$config" | sha256sum | cut -d' ' -f1)
printf %s "$config" >"$LAYOUT/blobs/sha256/$cd_"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd_\",\"size\":${#config}},\"layers\":[$layers_json]}"
md=$(printf %s "$manifest" | sha256sum | cut -d' ' -f1)
printf %s "$manifest" >"$LAYOUT/blobs/sha256/$md"
echo '{"imageLayoutVersion":"1.0.0"}' >"$LAYOUT/oci-layout"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}" >"$LAYOUT/index.json"
BLOBS=$(ls "$LAYOUT/blobs/sha256" | grep -v "$md" | tr "\n" " ")  # config and layers
PULL_BLOBS=$BLOBS

SRC=$(start_registry src)   # holds the image for pulls
DST=$(start_registry dst)   # receives pushes (a fresh repository per run)
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$SRC/bench/img:v1"
STORE=$WORK/store
CFG=$WORK/docker-config
mkdir -p "$CFG"
"$KILN" --root "$STORE" --config "$CFG" --progress quiet pull "$SRC/bench/img:v1" >/dev/null

# curl -T: POST for an upload URL, then PUT the file with the digest, blob by blob.
cat >"$WORK/curl_push.sh" <<EOF
#!/usr/bin/env bash
set -e
repo=bench/curl-\$(date +%s%N)
for d in $BLOBS; do
  loc=\$(curl -sf -X POST -D - -o /dev/null "http://$DST/v2/\$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  curl -sf -T "$LAYOUT/blobs/sha256/\$d" -H 'Content-Type: application/octet-stream' "\$loc&digest=sha256:\$d" -o /dev/null
done
EOF
cat >"$WORK/curl_pull.sh" <<EOF
#!/usr/bin/env bash
set -e
rm -rf "$WORK/curl-pull"; mkdir -p "$WORK/curl-pull"
for d in $PULL_BLOBS; do curl -sf "http://$SRC/v2/bench/img/blobs/sha256:\$d" -o "$WORK/curl-pull/\$d"; done
EOF
chmod +x "$WORK/curl_push.sh" "$WORK/curl_pull.sh"

KP="$KILN --root $STORE --config $CFG --progress quiet"
{
  echo "# registry benchmarks $(date -u +%FT%TZ)"
  echo "uptime before: $(uptime)"
  echo "image: 5 layers, $(du -sb "$LAYOUT/blobs" | cut -f1) bytes"
} >"$OUT/summary.txt"

# Every first push starts from an empty target registry (skopeo would otherwise mount blobs it
# remembers from its earlier runs through its blob-info cache).
WIPE="rm -rf $WORK/dst/data"
hyperfine --runs "$RUNS" --prepare "$WIPE" --export-json "$OUT/push_first.json" --export-markdown "$OUT/push_first.md" \
  -n "kiln push" "sh -c '$KP push $SRC/bench/img:v1 $DST/bench/kiln-\$(date +%s%N):v1 >/dev/null'" \
  -n "curl -T" "$WORK/curl_push.sh" \
  -n "skopeo copy" "sh -c 'skopeo copy -q --preserve-digests --dest-tls-verify=false oci:$LAYOUT:v1 docker://$DST/bench/skopeo-\$(date +%s%N):v1'"

$KP push "$SRC/bench/img:v1" "$DST/bench/repeat:v1" >/dev/null
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$DST/bench/repeat-skopeo:v1"
hyperfine --warmup 2 --runs 20 --export-json "$OUT/push_repeat.json" --export-markdown "$OUT/push_repeat.md" \
  -n "kiln push (all present)" "$KP push $SRC/bench/img:v1 $DST/bench/repeat:v1" \
  -n "skopeo copy (all present)" "skopeo copy -q --preserve-digests --dest-tls-verify=false oci:$LAYOUT:v1 docker://$DST/bench/repeat-skopeo:v1"

hyperfine --runs "$RUNS" --export-json "$OUT/pull.json" --export-markdown "$OUT/pull.md" \
  -n "kiln pull" --prepare "rm -rf $WORK/pull-store" \
  "$KILN --root $WORK/pull-store --config $CFG --progress quiet pull $SRC/bench/img:v1" \
  -n "curl GETs" --prepare true "$WORK/curl_pull.sh" \
  -n "skopeo copy to oci:" --prepare "rm -rf $WORK/skopeo-pull" \
  "skopeo copy -q --preserve-digests --src-tls-verify=false docker://$SRC/bench/img:v1 oci:$WORK/skopeo-pull:v1"

rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
rm -rf "$WORK/pull-store"
{
  echo "peak RSS kiln pull (KiB): $(rss $KILN --root $WORK/pull-store --config $CFG --progress quiet pull $SRC/bench/img:v1)"
  echo "peak RSS kiln push (KiB): $(rss $KP push $SRC/bench/img:v1 $DST/bench/rss-$(date +%s%N):v1)"
  echo "peak RSS skopeo copy push (KiB): $(rss skopeo copy -q --preserve-digests --dest-tls-verify=false oci:$LAYOUT:v1 docker://$DST/bench/rss-skopeo-$(date +%s%N):v1)"
  echo "uptime after: $(uptime)"
  echo
  cat "$OUT/push_first.md" "$OUT/push_repeat.md" "$OUT/pull.md"
} >>"$OUT/summary.txt"
cat "$OUT/summary.txt"
