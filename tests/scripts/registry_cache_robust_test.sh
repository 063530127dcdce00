#!/usr/bin/env bash
# Issue 15, must-show 3: four runners exporting to one cache ref at once leave a cache that
# verifies (manifest, document and every layer present; a fresh runner gets full hits from it),
# and a cache whose layer the registry lost degrades to a miss with one warning line, never a
# failed build.
source "$(dirname "$0")/registry_cache_lib.sh" "$@"

start_registry
cache="$reg/kiln/race-cache:main"

# --- 4 runners, 4 slightly different contexts, one cache ref, at the same time -------------------
for n in 1 2 3 4; do
  cp -r "$src/samples/hello-nanoserver" "$t/ctx$n"
  echo "echo runner $n" >> "$t/ctx$n/app/hello.cmd"
done
pids=()
for n in 1 2 3 4; do
  ( runner "w$n" build -t "$reg/kiln/race:$n" --build-context "$nano" --push \
      --cache-to "type=registry,ref=$cache,mode=max" "$t/ctx$n" ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent exporter failed"; done

# The cache verifies: its document parses and every blob it names is in the registry.
manifest_of "kiln/race-cache:main" > "$t/race-manifest.json" || fail "no cache manifest after the race"
python3 - "$t/race-manifest.json" "http://$reg/v2/kiln/race-cache" <<'PY' || fail "the cache does not verify"
import hashlib, json, sys, urllib.request
m = json.load(open(sys.argv[1])); base = sys.argv[2]
assert m["artifactType"] == "application/vnd.kiln.cache.v1", m
doc_bytes = urllib.request.urlopen(base + "/blobs/" + m["config"]["digest"]).read()
assert "sha256:" + hashlib.sha256(doc_bytes).hexdigest() == m["config"]["digest"]
doc = json.loads(doc_bytes)
assert doc["kiln.cache"] == 1 and len(doc["steps"]) == 3, doc
names = {l["digest"] for l in m["layers"]}
for s in doc["steps"]:
    assert s["layer"]["digest"] in names, s
for d in names:
    r = urllib.request.urlopen(urllib.request.Request(base + "/blobs/" + d, method="HEAD"))
    assert r.status == 200, d
print("race cache verifies:", len(names), "layers")
PY
# Whichever runner won, a fresh runner building its context hits every step.
hits=0
for n in 1 2 3 4; do
  runner "r$n" build -t "$reg/kiln/race-check:$n" --build-context "$nano" --cache-from "$cache" "$t/ctx$n"
  if [ "$(grep -cE '\] (WORKDIR|COPY) .*: cached$' "$t/r$n.log")" = 3 ]; then hits=$((hits + 1)); fi
done
[ "$hits" -ge 1 ] || fail "no runner's context is fully cached by the raced cache"
echo "race: $hits of 4 contexts fully cached (the last complete export wins)"

# --- a layer the registry lost: one warning, that step runs, the build succeeds -----------------
cp -r "$src/samples/hello-nanoserver" "$t/ctx"
runner a build -t "$reg/kiln/gc:1" --build-context "$nano" --push --metadata-file "$t/a.json" \
  --cache-to "type=registry,ref=$reg/kiln/gc-cache:1" "$t/ctx"
lost=$(manifest_of "kiln/gc:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][2]["digest"])')
rm -rf "$t/registry/data/docker/registry/v2/blobs/sha256/${lost:7:2}/${lost#sha256:}"
runner b build -t "$reg/kiln/gc-b:1" --build-context "$nano" --push --metadata-file "$t/b.json" \
  --cache-from "type=registry,ref=$reg/kiln/gc-cache:1" "$t/ctx"
[ "$(grep -c '^warning: ' "$t/b.log")" = 1 ] || { cat "$t/b.log"; fail "expected exactly one warning line"; }
grep -q "^warning: cache $reg/kiln/gc-cache:1: layer $lost is gone" "$t/b.log" || { cat "$t/b.log"; fail "no warning naming the lost layer"; }
grep -E '\] COPY app\\ \.: done' "$t/b.log" > /dev/null || { cat "$t/b.log"; fail "the step of the lost layer did not run"; }
grep -E '\] WORKDIR C:\\app: cached$' "$t/b.log" > /dev/null || { cat "$t/b.log"; fail "WORKDIR should still hit"; }
# Same files, same layer: the rebuilt image is A's.
[ "$(json "$t/a.json" 'd["containerimage.digest"]')" = "$(json "$t/b.json" 'd["containerimage.digest"]')" ] ||
  fail "the image rebuilt around the lost layer differs from A's"

# --- a blob the registry lost under a manifest it kept: pushing that image again puts it back ----
# A's image kiln/gc:1 stays in the registry; one of its layers goes from the registry's storage
# (B's upload above had put it back; the manifest and the repository's link stay). A, whose store
# still holds the layer, pushes the same image again (a CI retry): the manifest is there, so kiln
# does not check its blobs first; the registry refuses the PUT (MANIFEST_BLOB_UNKNOWN) and kiln
# must check the blobs, upload the lost one and PUT again, not fail.
rm -rf "$t/registry/data/docker/registry/v2/blobs/sha256/${lost:7:2}/${lost#sha256:}"
curl -s -o /dev/null -w '%{http_code}' -I "http://$reg/v2/kiln/gc/blobs/$lost" | grep -qx 404 ||
  fail "the registry still serves the deleted layer"
mark=$(log_mark)
runner a push "$reg/kiln/gc:1"
reqs=$(requests_since "$mark")
grep -qE "^HEAD /v2/kiln/gc/manifests/$(json "$t/a.json" 'd["containerimage.digest"]') 200" <<< "$reqs" ||
  { sed 's/^/  /' <<< "$reqs"; fail "the pushed manifest was not already there"; }
manifest_puts=$(grep -E '^PUT /v2/kiln/gc/manifests/' <<< "$reqs" | awk '{print $3}' | tr '\n' ' ')
[ "$manifest_puts" = "400 201 " ] || { sed 's/^/  /' <<< "$reqs"; fail "expected a refused manifest PUT, then one accepted: $manifest_puts"; }
[ "$(blob_uploads <<< "$reqs" | uploaded_digests)" = "$lost" ] ||
  { sed 's/^/  /' <<< "$reqs"; fail "expected exactly the lost layer $lost to be uploaded again"; }
got=$(curl -sf "http://$reg/v2/kiln/gc/blobs/$lost" | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$lost" ] || fail "the registry does not serve the lost layer again"
echo "lost blob under a kept manifest: re-uploaded on the refused PUT ($(wc -l <<< "$reqs") requests)"

# --- a cache that is not there at all: one warning, a normal build --------------------------------
runner c build -t "$reg/kiln/none:1" --build-context "$nano" --cache-from "$reg/kiln/nothing-here:1" "$t/ctx"
[ "$(grep -c '^warning: ' "$t/c.log")" = 1 ] || { cat "$t/c.log"; fail "a missing cache: expected one warning"; }
echo "ok"
