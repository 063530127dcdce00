#!/usr/bin/env bash
# Issue 15, must-show 2: the two-runner check with --cache-to type=inline (the cache travels in
# the pushed image's config; --cache-from IMAGE) and with type=local (an OCI layout). Also: a
# cache recorded for another os.version is never used, and --cache-from never lets a base
# image's inline cache leak into the built image.
source "$(dirname "$0")/registry_cache_lib.sh" "$@"

start_registry
cp -r "$src/samples/hello-nanoserver" "$t/ctx"
image="$reg/kiln/inline"
layer_steps='\] (WORKDIR|COPY) .*: cached$'

# --- flag spellings: what buildx accepts and kiln cannot do is refused with exit code 2 ------------
for bad in "--cache-to type=gha" "--cache-to type=registry,ref=$reg/x:1,mode=all" "--cache-to type=registry" \
           "--cache-to type=inline,mode=max" "--cache-from type=inline" "--cache-to type=local" \
           "--cache-to type=registry,ref=$reg/x:1,colour=blue"; do
  rc=0; "$kiln_bin" --root "$t/store-flags" build $bad "$t/nowhere" > /dev/null 2> "$t/flag.err" || rc=$?
  [ "$rc" = 2 ] || fail "$bad: exit code $rc, expected 2 ($(cat "$t/flag.err"))"
  [ "$(wc -l < "$t/flag.err")" = 1 ] || fail "$bad: expected a one-line error: $(cat "$t/flag.err")"
done

# --- type=inline ---------------------------------------------------------------------------------
runner a build -t "$image:1" --build-context "$nano" --cache-to type=inline --push \
  --metadata-file "$t/a.json" "$t/ctx"
mark=$(log_mark)
runner b build -t "$image:1" --build-context "$nano" --cache-from "$image:1" --cache-to type=inline \
  --push --metadata-file "$t/b.json" "$t/ctx"
reqs=$(requests_since "$mark")
[ "$(grep -cE "$layer_steps" "$t/b.log")" = 3 ] || { cat "$t/b.log"; fail "inline: not every layer step was a hit"; }
[ "$(json "$t/a.json" 'd["containerimage.digest"]')" = "$(json "$t/b.json" 'd["containerimage.digest"]')" ] ||
  fail "inline: B's digest differs from A's"
config=$(json "$t/a.json" 'd["containerimage.config.digest"]')
gets=$(blob_gets <<< "$reqs")
[ "$gets" = "GET /v2/kiln/inline/blobs/$config 200" ] || fail "inline: B fetched blobs other than the image config: $gets"
[ -z "$(blob_uploads <<< "$reqs")" ] || fail "inline: B uploaded: $(blob_uploads <<< "$reqs")"
curl -sf "http://$reg/v2/kiln/inline/blobs/$config" | python3 -c '
import json, sys
c = json.load(sys.stdin); d = c["io.kiln.cache.v1"]
assert d["kiln.cache"] == 1 and d["mode"] == "min" and len(d["steps"]) == 3, d' || fail "inline: no cache in the image config"
# An image built FROM an image with an inline cache does not carry that cache on.
printf 'FROM %s\nCOPY app/hello.cmd C:/x.cmd\n' "$image:1" > "$t/Dockerfile.child"
runner child build -f "$t/Dockerfile.child" -t "$reg/kiln/child:1" --push --metadata-file "$t/child.json" "$t/ctx"
curl -sf "http://$reg/v2/kiln/child/blobs/$(json "$t/child.json" 'd["containerimage.config.digest"]')" |
  python3 -c 'import json,sys; assert "io.kiln.cache.v1" not in json.load(sys.stdin)' || fail "a base image's inline cache leaked"
echo "inline ok"

# --- type=local ----------------------------------------------------------------------------------
runner la build -t app:1 --build-context "$nano" --cache-to "type=local,dest=$t/lcache,mode=max" \
  --metadata-file "$t/la.json" "$t/ctx"
[ -f "$t/lcache/index.json" ] || fail "local: no index.json"
runner lb build -t app:1 --build-context "$nano" --cache-from "type=local,src=$t/lcache" \
  -o "type=oci,dest=$t/out-lb" --metadata-file "$t/lb.json" "$t/ctx"
[ "$(grep -cE "$layer_steps" "$t/lb.log")" = 3 ] || { cat "$t/lb.log"; fail "local: not every layer step was a hit"; }
[ "$(json "$t/la.json" 'd["containerimage.digest"]')" = "$(json "$t/lb.json" 'd["containerimage.digest"]')" ] ||
  fail "local: B's digest differs from A's"
json "$t/lb.json" 'd["kiln.cache.imported"][0]["type"]' | grep -qx local || fail "local: metadata lacks the import"

# --- another os.version is never used ------------------------------------------------------------
# The same document with every record moved to another os.version (keys unchanged): no hits.
python3 - "$t/lcache" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
def blob(dig): return open(os.path.join(d, "blobs/sha256", dig[7:]), "rb").read()
def put(b):
    dig = "sha256:" + hashlib.sha256(b).hexdigest()
    open(os.path.join(d, "blobs/sha256", dig[7:]), "wb").write(b)
    return dig
index = json.load(open(os.path.join(d, "index.json")))
entry = index["manifests"][0]
m = json.loads(blob(entry["digest"]))
doc = json.loads(blob(m["config"]["digest"]))
for r in doc["steps"] + doc["images"]:
    r["platform"]["os.version"] = "10.0.17763.6659"
cb = json.dumps(doc).encode()
m["config"]["digest"], m["config"]["size"] = put(cb), len(cb)
mb = json.dumps(m).encode()
entry["digest"], entry["size"] = put(mb), len(mb)
json.dump(index, open(os.path.join(d, "index.json"), "w"))
PY
runner lc build -t app:1 --build-context "$nano" --cache-from "type=local,src=$t/lcache" "$t/ctx"
[ "$(grep -cE "$layer_steps" "$t/lc.log")" = 0 ] || { cat "$t/lc.log"; fail "a cache for another os.version was used"; }
echo "ok"
