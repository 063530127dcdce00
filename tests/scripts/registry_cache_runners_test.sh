#!/usr/bin/env bash
# Issue 15, must-show 1: two stores stand in for two CI runners sharing one docker-registry.
# Runner A builds samples/hello-nanoserver with --cache-to type=registry,... --push; runner B,
# with an empty store, builds the same context with --cache-from ... --push. Every layer step of
# B is a cache hit, B's image digest is A's, and the registry's access log shows B getting no
# layer blob (its only blob GET is the cache's own config) and uploading nothing. Then one
# context file changes: a fresh runner reruns only the steps after it and uploads only the new
# layer (and the new image config).
source "$(dirname "$0")/registry_cache_lib.sh" "$@"

start_registry
cp -r "$src/samples/hello-nanoserver" "$t/ctx"
cache="$reg/kiln/hello-cache:main"
image="$reg/kiln/hello"

# --- runner A: cold build, exports the cache, pushes the image ---------------------------------
runner a build -t "$image:1" --build-context "$nano" --cache-to "type=registry,ref=$cache,mode=max" \
  --push --metadata-file "$t/a.json" "$t/ctx"
digest_a=$(json "$t/a.json" 'd["containerimage.digest"]')
cache_config=$(json "$t/a.json" 'd["kiln.cache.exported"][0]["config"]')
grep -q "exporting cache to $cache (mode=max, 3 steps): done" "$t/a.log" || { cat "$t/a.log"; fail "A: no export progress line"; }
# The export ran after the push: the layers were mounted from the image's repository, only the
# cache document went up.
[ "$(json "$t/a.json" 'd["kiln.cache.exported"][0]["blobs"]')" = "{'present': 0, 'mounted': 3, 'uploaded': 1, 'uploaded_bytes': $(json "$t/a.json" 'd["kiln.cache.exported"][0]["blobs"]["uploaded_bytes"]'), 'total_bytes': $(json "$t/a.json" 'd["kiln.cache.exported"][0]["blobs"]["total_bytes"]')}" ] ||
  fail "A's export did not mount the pushed layers: $(json "$t/a.json" 'd["kiln.cache.exported"][0]')"

# --- runner B: empty store, --cache-from, push ---------------------------------------------------
mark=$(log_mark)
runner b build -t "$image:1" --build-context "$nano" --cache-from "type=registry,ref=$cache" \
  --push --metadata-file "$t/b.json" "$t/ctx"
reqs_b=$(requests_since "$mark")
digest_b=$(json "$t/b.json" 'd["containerimage.digest"]')
[ "$digest_a" = "$digest_b" ] || fail "B's image digest $digest_b is not A's $digest_a"
for step in 'WORKDIR C:\\app' 'COPY app\\ \.' 'COPY \["app/config/settings.json"'; do
  grep -E "\] $step.*: cached$" "$t/b.log" > /dev/null || { cat "$t/b.log"; fail "B: step $step was not a cache hit"; }
done
grep -q "importing cache from $cache ([0-9a-f]*): 3 steps, 3 layers" "$t/b.log" ||
  { cat "$t/b.log"; fail "B: no import progress line"; }
gets=$(blob_gets <<< "$reqs_b")
[ "$gets" = "GET /v2/kiln/hello-cache/blobs/$cache_config 200" ] ||
  fail "B fetched blobs other than the cache config ($cache_config): $gets"
ups=$(blob_uploads <<< "$reqs_b")
[ -z "$ups" ] || fail "B uploaded blobs: $ups"
# Lazy: no layer the cache gave is in B's store (the base layer is copied from the oci-layout
# build context, a local directory, as every push of a layout base does).
for l in $(manifest_of "kiln/hello:1" | python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)["layers"][1:]))'); do
  [ ! -e "$t/store-b/blobs/sha256/${l#sha256:}" ] || fail "B downloaded layer $l"
done
sed 's/^/  B: /' <<< "$reqs_b"
echo "B: $(wc -l <<< "$reqs_b") requests, blob GETs: $gets; uploads: none; digest $digest_b"

# --- one context file changes: only the steps after it rerun, only the new layer goes up ---------
echo "echo changed" >> "$t/ctx/app/hello.cmd"
layers_a=$(manifest_of "kiln/hello:1" | python3 -c 'import json,sys; print("\n".join(l["digest"] for l in json.load(sys.stdin)["layers"]))')
mark=$(log_mark)
runner c build -t "$image:2" --build-context "$nano" --cache-from "type=registry,ref=$cache" \
  --push --metadata-file "$t/c.json" "$t/ctx"
reqs_c=$(requests_since "$mark")
grep -E '\] WORKDIR C:\\app: cached$' "$t/c.log" > /dev/null || { cat "$t/c.log"; fail "C: WORKDIR was not a hit"; }
grep -E '\] COPY app\\ \.: done' "$t/c.log" > /dev/null || { cat "$t/c.log"; fail "C: COPY app\\ did not rerun"; }
config_c=$(json "$t/c.json" 'd["containerimage.config.digest"]')
new_layers=$(manifest_of "kiln/hello:2" | python3 -c 'import json,sys; print("\n".join(l["digest"] for l in json.load(sys.stdin)["layers"]))' |
  grep -vxF "$layers_a" || true)
[ "$(wc -l <<< "$new_layers")" = 1 ] || fail "expected one new layer, got: $new_layers"
uploaded=$(blob_uploads <<< "$reqs_c" | uploaded_digests)
expected=$(printf '%s\n%s\n' "$new_layers" "$config_c" | sort -u)
[ "$uploaded" = "$expected" ] || fail "C uploaded $(echo $uploaded) but only the new layer and config ($(echo $expected)) were expected"
gets=$(blob_gets <<< "$reqs_c")
[ "$gets" = "GET /v2/kiln/hello-cache/blobs/$cache_config 200" ] || fail "C fetched blobs: $gets"
echo "C: uploaded only $(echo $uploaded)"
echo "ok"
