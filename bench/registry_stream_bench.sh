#!/usr/bin/env bash
# Registry-to-registry stream (issue 16): a synthetic 4 GiB Windows base (two layers of 3 and 1
# GiB of random bytes, an os.version config) in docker-registry A; `kiln build` of
# FROM A/base + COPY of a small file (base layers stay in A: COPY-only builds never read them);
# then `kiln push` of the image to docker-registry B on another port (another host to kiln: no
# cross-repository mount), so every base layer streams A -> B through kiln. Peer in the same
# hyperfine run: `curl` GET from A piped into `curl -T -` to B for the same base blobs, plus
# `curl -T` of the image's own blobs (config, COPY layer) from kiln's store. Each run starts
# from an empty registry B. Goal: kiln <= 1.1x the peer, peak RSS < 32 MiB (/usr/bin/time -v).
# The base layers are random bytes labelled as layers: nothing here unpacks them.
#
# Usage: bench/registry_stream_bench.sh [path/to/kiln]   (RUNS=3, BASE_MIB="3072 1024")
# Results: bench/out/registry_stream/{summary.txt,push.md,push.json}. Needs docker-registry,
# skopeo, curl, hyperfine, GNU time; ~8 GB of disk under bench/work (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
runs=${RUNS:-3}
base_mib=${BASE_MIB:-3072 1024}
out=$(realpath -m bench/out/registry_stream)
mkdir -p "$out" bench/work
work=$(mktemp -d "$(realpath bench/work)/stream.XXXXXX")
cleanup() {
  for f in "$work"/*/pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_registry() {  # NAME -> host:port (pid in $work/NAME/pid)
  local name=$1 port
  port=$(free_port)
  mkdir -p "$work/$name"
  cat > "$work/$name/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $work/$name/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port, secret: bench}
EOF
  docker-registry serve "$work/$name/config.yml" > "$work/$name/log" 2>&1 &
  echo $! > "$work/$name/pid"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.05; done
  echo "127.0.0.1:$port"
}

# --- the synthetic Windows base, as an OCI layout, copied into A --------------------------------
layout=$work/base
mkdir -p "$layout/blobs/sha256"
layers="" diff_ids=""
for mib in $base_mib; do
  head -c $((mib << 20)) /dev/urandom > "$work/layer"
  d=$(sha256sum "$work/layer" | cut -d' ' -f1)
  mv "$work/layer" "$layout/blobs/sha256/$d"
  layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$((mib << 20))}"
  diff_ids+="${diff_ids:+,}\"sha256:$(printf '%s' "diff-$d" | sha256sum | cut -d' ' -f1)\""
done
config="{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.20348.2966\",\"config\":{\"Cmd\":[\"c:\\\\windows\\\\system32\\\\cmd.exe\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]},\"history\":[]}"
cd_=$(printf %s "$config" | sha256sum | cut -d' ' -f1)
printf %s "$config" > "$layout/blobs/sha256/$cd_"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd_\",\"size\":${#config}},\"layers\":[$layers]}"
md=$(printf %s "$manifest" | sha256sum | cut -d' ' -f1)
printf %s "$manifest" > "$layout/blobs/sha256/$md"
echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"1\"}}]}" > "$layout/index.json"
base_blobs=$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(" ".join(l["digest"][7:] for l in m["layers"]))' "$manifest")

A=$(start_registry a)
B=$(start_registry b)
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:1" "docker://$A/win/base:1"
rm -rf "$layout"  # the base now lives in A only

# --- the build on it ----------------------------------------------------------------------------
ctx=$work/ctx
mkdir -p "$ctx"
head -c 65536 /dev/urandom > "$ctx/app.bin"
printf 'FROM %s/win/base:1\nCOPY app.bin C:/app/app.bin\n' "$A" > "$ctx/Dockerfile"
store=$work/store
cfg=$work/docker-config
mkdir -p "$cfg"
K="$kiln --root $store --config $cfg --progress quiet"
$K build -t app:1 "$ctx" > /dev/null
own_blobs=$(python3 - "$store" <<'PY'
import json, os, sys
root = sys.argv[1]
idx = json.load(open(os.path.join(root, "index.json")))
# the image named app:1 (the store's index.json lists named images)
m = next(x for x in idx["manifests"]
         if x.get("annotations", {}).get("io.containerd.image.name", "").endswith("app:1")
         or x.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("app:1"))
man = json.load(open(os.path.join(root, "blobs/sha256", m["digest"][7:])))
blobs = [man["config"]["digest"][7:]] + [l["digest"][7:] for l in man["layers"]]
print(" ".join(b for b in blobs if os.path.exists(os.path.join(root, "blobs/sha256", b))))
PY
)

cat > "$work/curl_stream.sh" <<EOF
#!/usr/bin/env bash
set -eo pipefail
repo=win/curl-\$(date +%s%N)
upload() { curl -sf -X POST -D - -o /dev/null "http://$B/v2/\$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p'; }
for d in $base_blobs; do
  loc=\$(upload)
  curl -sf "http://$A/v2/win/base/blobs/sha256:\$d" |
    curl -sf -T - -H 'Content-Type: application/octet-stream' "\$loc&digest=sha256:\$d" -o /dev/null
done
for d in $own_blobs; do
  loc=\$(upload)
  curl -sf -T "$store/blobs/sha256/\$d" -H 'Content-Type: application/octet-stream' "\$loc&digest=sha256:\$d" -o /dev/null
done
EOF
chmod +x "$work/curl_stream.sh"

{
  echo "# registry-to-registry stream $(date -u +%FT%TZ)"
  echo "load before: $(uptime)"
  echo "base layers (MiB): $base_mib; image's own blobs: $(echo "$own_blobs" | wc -w)"
} > "$out/summary.txt"
hyperfine --runs "$runs" --prepare "rm -rf $work/b/data" \
  --export-markdown "$out/push.md" --export-json "$out/push.json" \
  -n "kiln push (base streams A -> B)" "sh -c '$K push app:1 $B/win/kiln-\$(date +%s%N):1 > /dev/null'" \
  -n "curl GET | curl -T - (same blobs)" "$work/curl_stream.sh"
rm -rf "$work/b/data"
/usr/bin/time -v $K push app:1 "$B/win/rss:1" 2>&1 > /dev/null |
  awk '/Maximum resident/ { print "kiln push: peak RSS " $6 " KiB" }' | tee -a "$out/summary.txt"
python3 - "$out/push.json" <<'PY' | tee -a "$out/summary.txt"
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k = next(v for n, v in r.items() if n.startswith("kiln"))
c = next(v for n, v in r.items() if n.startswith("curl"))
print(f"kiln / curl (mean): {k['mean'] / c['mean']:.2f}x  (median {k['median'] / c['median']:.2f}x)")
PY
echo "load after: $(uptime)" >> "$out/summary.txt"
cat "$out/push.md"
