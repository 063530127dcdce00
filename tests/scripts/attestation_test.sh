#!/usr/bin/env bash
# Issue 17, Must show 1-3: provenance and SBOM attestations attached as buildx stores them.
#  1. A Windows image (samples/hello-nanoserver on the synthetic base, plus .NET and npm lock
#     files) pushed with --provenance=max --sbom=true to a local docker-registry: `skopeo inspect
#     --raw` shows an index with the image manifest and an attestation manifest (annotations,
#     unknown/unknown), whose in-toto layers carry in-toto.io/predicate-type; every statement
#     validates against the in-toto Statement v1, SLSA provenance v1/v0.2 and SPDX 2.3 JSON
#     schemas in tests/scripts/attestation/ (python3-jsonschema).
#  2. The SBOM lists exactly the files of the flattened added layers with their sha256, checked
#     by tests/scripts/attestation/check_sbom.py over the pushed layers, and the recognised
#     .NET and npm packages.
#  3. No secret value and no --secret source path in any attestation (a Linux RUN step with a
#     secret mount; byte search as in linux_run_secret_cache_test.sh).
# Also: byte-identical attestations from two clean builds with SOURCE_DATE_EPOCH, the default
# (min provenance only for pushes and OCI layouts), `kiln inspect --attestations`, `kiln shrink`
# keeping them with the new subject, `kiln copy` carrying them.
source "$(dirname "$0")/linux_run_lib.sh"
here=$src/tests/scripts/attestation
python3 -c 'import jsonschema' 2>/dev/null || { echo "kiln-skip: python3-jsonschema is not installed (scripts/setup.sh test)"; exit 77; }
base_layout=$src/samples/bases/nanoserver
base_ctx="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$base_layout:ltsc2022"
start_registry

# The base: its manifest digest and layer count, read from the layout by python.
read -r base_digest base_layers < <(python3 - "$base_layout" <<'PY'
import json, os, sys
d = sys.argv[1]
blob = lambda dg: json.load(open(os.path.join(d, "blobs", *dg.split(":"))))
top = [m for m in json.load(open(os.path.join(d, "index.json")))["manifests"]
       if m["annotations"]["org.opencontainers.image.ref.name"] == "ltsc2022"][0]
m = blob(top["digest"])["manifests"][0] if "index" in top["mediaType"] else top
print(m["digest"], len(blob(m["digest"])["layers"]))
PY
)

# --- the Windows context: the sample plus package lock files ------------------------------
ctx=$t/win
cp -r "$src/samples/hello-nanoserver" "$ctx"
cat > "$ctx/app/Hello.Web.deps.json" <<'JSON'
{"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
 "libraries": {"Hello.Web/1.0.0": {"type": "project"},
               "Serilog/3.1.1": {"type": "package", "sha512": "sha512-x"},
               "Microsoft.Extensions.Logging/8.0.0": {"type": "package"}}}
JSON
cat > "$ctx/app/packages.lock.json" <<'JSON'
{"version": 1, "dependencies": {"net8.0": {
  "Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1"},
  "Polly": {"type": "Transitive", "resolved": "8.2.0"}}}}
JSON
mkdir -p "$ctx/app/web"
cat > "$ctx/app/web/package-lock.json" <<'JSON'
{"name": "web", "lockfileVersion": 3, "packages": {
  "": {"name": "web", "version": "1.0.0"},
  "node_modules/express": {"version": "4.19.2"},
  "node_modules/@babel/core": {"version": "7.24.0"}}}
JSON
purls=(pkg:nuget/Serilog@3.1.1 pkg:nuget/Microsoft.Extensions.Logging@8.0.0 pkg:nuget/Polly@8.2.0
       pkg:npm/express@4.19.2 pkg:npm/%40babel/core@7.24.0)

kiln build --build-context "$base_ctx" --provenance=max --sbom=true --build-arg BUILD_NOTE=hello \
  -t "$reg/hello:1" --push "$ctx" > "$t/push.log" 2>&1 || { cat "$t/push.log"; fail "push build"; }

# --- 1. the pushed index, as skopeo sees it -------------------------------------------------
skopeo inspect --raw --tls-verify=false "docker://$reg/hello:1" > "$t/index.json"
read -r image att < <(python3 - "$t/index.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
assert i["mediaType"] == "application/vnd.oci.image.index.v1+json", i
m = i["manifests"]
assert len(m) == 2, m
img, att = m
assert img["platform"]["os"] == "windows" and img["platform"]["architecture"] == "amd64", img
assert att["platform"] == {"architecture": "unknown", "os": "unknown"}, att
assert att["annotations"] == {"vnd.docker.reference.type": "attestation-manifest",
                              "vnd.docker.reference.digest": img["digest"]}, att
print(img["digest"], att["digest"])
PY
) || fail "the pushed index: $(cat "$t/index.json")"
skopeo inspect --raw --tls-verify=false "docker://$reg/hello@$att" > "$t/att.json"
mkdir -p "$t/statements"
python3 - "$t/att.json" "$reg" "$t/statements" <<'PY' || fail "attestation manifest: $(cat "$t/att.json")"
import json, sys, urllib.request
m = json.load(open(sys.argv[1]))
types = [l["annotations"]["in-toto.io/predicate-type"] for l in m["layers"]]
assert types == ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document"], types
for l in m["layers"]:
    assert l["mediaType"] == "application/vnd.in-toto+json", l
    body = urllib.request.urlopen("http://%s/v2/hello/blobs/%s" % (sys.argv[2], l["digest"])).read()
    s = json.loads(body)
    assert s["predicateType"] == l["annotations"]["in-toto.io/predicate-type"]
    name = "provenance" if "slsa" in s["predicateType"] else "sbom"
    open("%s/%s.json" % (sys.argv[3], name), "wb").write(body)
PY

# validate FILE STATEMENT_SCHEMA PREDICATE_SCHEMA
validate() {
  python3 - "$1" "$here/in-toto-statement-v1.schema.json" "$here/$2" <<'PY'
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
jsonschema.validate(s, json.load(open(sys.argv[2])))
jsonschema.validate(s["predicate"], json.load(open(sys.argv[3])))
PY
}
validate "$t/statements/provenance.json" slsa-provenance-v1.schema.json || fail "provenance schema"
validate "$t/statements/sbom.json" spdx-2.3.schema.json || fail "SBOM schema"
# A schema that accepts everything proves nothing: a broken SBOM must fail.
python3 -c "
import json; s = json.load(open('$t/statements/sbom.json')); del s['predicate']['files'][0]['checksums']
json.dump(s, open('$t/broken.json', 'w'))"
if validate "$t/broken.json" spdx-2.3.schema.json 2> /dev/null; then fail "the SPDX schema accepts a file without checksums"; fi

# Provenance content: builder, materials (base, context, Dockerfile), parameters, steps.
python3 - "$t/statements/provenance.json" "$image" "$base_digest" "$(sha256sum < "$ctx/Dockerfile" | cut -d' ' -f1)" <<'PY' || fail "provenance content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["subject"][0]["digest"]["sha256"] == sys.argv[2].split(":")[1]
p = s["predicate"]
b = p["runDetails"]["builder"]
assert b["id"] == "urn:kiln:builder" and b["version"]["kiln"], b
deps = {d["name"]: d["digest"]["sha256"] for d in p["buildDefinition"]["resolvedDependencies"]}
assert len(deps) == len(p["buildDefinition"]["resolvedDependencies"]), "a dependency listed twice"
assert deps["mcr.microsoft.com/windows/nanoserver:ltsc2022"] == sys.argv[3].split(":")[1], deps
assert deps["Dockerfile"] == sys.argv[4], deps
assert len(deps["context"]) == 64, deps
ext = p["buildDefinition"]["externalParameters"]
assert ext["buildArgs"] == {"BUILD_NOTE": "hello"}, ext
assert ext["platform"].startswith("windows/amd64"), ext
steps = p["buildDefinition"]["internalParameters"]["buildConfig"]["steps"]
assert any(st["instruction"].startswith("COPY app") for st in steps), steps
PY

# --- 2. the SBOM against the pushed layers --------------------------------------------------
purl_args=(); for p in "${purls[@]}"; do purl_args+=(--purl "$p"); done
python3 "$here/check_sbom.py" "$reg" hello "$image" "$base_layers" "$base_digest" \
  "$t/statements/sbom.json" --windows "${purl_args[@]}" || fail "the SBOM does not match the layers"
# The checker catches a wrong digest and a missing file.
python3 -c "
import json; s = json.load(open('$t/statements/sbom.json')); f = s['predicate']['files']
f[0]['checksums'][0]['checksumValue'] = '0' * 64; json.dump(s, open('$t/bad1.json', 'w'))
del f[1]; json.dump(s, open('$t/bad2.json', 'w'))"
for bad in bad1 bad2; do
  if python3 "$here/check_sbom.py" "$reg" hello "$image" "$base_layers" "$base_digest" \
    "$t/$bad.json" --windows "${purl_args[@]}" > /dev/null 2>&1; then fail "check_sbom.py accepts $bad"; fi
done

# --- inspect, shrink, copy ------------------------------------------------------------------
kiln inspect --attestations "$reg/hello:1" > "$t/inspect.json" || fail "inspect --attestations"
python3 -c "
import json; a = json.load(open('$t/inspect.json'))
assert [x['predicateType'] for x in a] == ['https://slsa.dev/provenance/v1', 'https://spdx.dev/Document'], a
assert all(x['subject'] == '$image' for x in a), a" || fail "inspect --attestations: $(head -c 400 "$t/inspect.json")"
kiln shrink "$reg/hello:1" -t shrunk:1 > "$t/shrink.log" 2>&1 || { cat "$t/shrink.log"; fail "shrink"; }
kiln inspect --json shrunk:1 > "$t/shrunk.json"
kiln inspect --attestations shrunk:1 > "$t/shrunk-att.json"
python3 - "$t/shrunk.json" "$t/shrunk-att.json" "$image" <<'PY' || fail "shrink lost or kept stale attestations"
import json, sys
idx = json.load(open(sys.argv[1]))["index"]["manifests"]
assert len(idx) == 2, idx
new = idx[0]["digest"]
assert new != sys.argv[3], "the shrink changed nothing"
assert idx[1]["annotations"]["vnd.docker.reference.digest"] == new, idx
att = json.load(open(sys.argv[2]))
assert len(att) == 2 and all(a["statement"]["subject"][0]["digest"]["sha256"] == new.split(":")[1] for a in att), att
PY
kiln copy "$reg/hello:1" "$reg/copied:1" > "$t/copy.log" 2>&1 || { cat "$t/copy.log"; fail "copy"; }
skopeo inspect --raw --tls-verify=false "docker://$reg/copied:1" | cmp - "$t/index.json" ||
  fail "kiln copy did not carry the index with its attestation"
skopeo inspect --raw --tls-verify=false "docker://$reg/copied@$att" > /dev/null || fail "copy: attestation manifest missing"

# --- reproducibility: two clean builds, SOURCE_DATE_EPOCH -----------------------------------
for n in 1 2; do
  SOURCE_DATE_EPOCH=1700000000 "$kiln_bin" --root "$t/repro$n" --progress plain build \
    --build-context "$base_ctx" --provenance=mode=max --sbom=true -t repro:1 \
    -o "type=oci,dest=$t/repro$n.oci" "$ctx" > "$t/repro$n.log" 2>&1 || { cat "$t/repro$n.log"; fail "repro build $n"; }
done
cmp "$t/repro1.oci/index.json" "$t/repro2.oci/index.json" || fail "two clean builds differ"
[ "$(ls "$t/repro1.oci/blobs/sha256")" = "$(ls "$t/repro2.oci/blobs/sha256")" ] || fail "two clean builds differ in blobs"
# The same with version=v0.2: its predicate validates against the v0.2 schema.
SOURCE_DATE_EPOCH=1700000000 kiln build --build-context "$base_ctx" --provenance=mode=min,version=v0.2 \
  -t v02:1 "$ctx" > "$t/v02.log" 2>&1 || { cat "$t/v02.log"; fail "v0.2 build"; }
kiln inspect --attestations v02:1 | python3 -c "
import json, sys; a = json.load(sys.stdin); assert [x['predicateType'] for x in a] == ['https://slsa.dev/provenance/v0.2'], a
json.dump(a[0]['statement'], open('$t/v02-statement.json', 'w'))" || fail "v0.2 provenance"
validate "$t/v02-statement.json" slsa-provenance-v0.2.schema.json || fail "v0.2 schema"
# Defaults: nothing for the local store alone, min provenance for an OCI layout.
kiln build --build-context "$base_ctx" -t plain:1 "$ctx" > "$t/plain.log" 2>&1 || fail "plain build"
[ "$(kiln inspect --attestations plain:1)" = "[]" ] || fail "a store-only build got attestations"
kiln build --build-context "$base_ctx" -t oci:1 -o "type=oci,dest=$t/oci" "$ctx" > "$t/oci.log" 2>&1 || fail "oci build"
kiln inspect --attestations oci:1 | grep -q '"predicateType": "https://slsa.dev/provenance/v1"' ||
  fail "an OCI layout output has no default provenance"

# --- 3. secrets stay out of attestations ----------------------------------------------------
secret="kiln-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$t/secret-src"
printf '%s' "$secret" > "$t/secret-src/token-file.txt"
make_context "$t/bb" < "$src/samples/linux-busybox/Dockerfile"
kiln build --target base -t localhost/bb:base "$t/bb" > "$t/bb.log" 2>&1 || { cat "$t/bb.log"; fail "busybox base"; }
make_context "$t/sec" <<'DF'
FROM localhost/bb:base
ARG NOTE
RUN --mount=type=secret,id=tok md5sum < /run/secrets/tok > /tok-md5
RUN --mount=type=secret,id=envtok wc -c < /run/secrets/envtok > /env-size
DF
KILN_TEST_SECRET="$secret-env" kiln build --secret "id=tok,src=$t/secret-src/token-file.txt" \
  --secret id=envtok,env=KILN_TEST_SECRET --build-arg NOTE=visible --provenance=max --sbom=true \
  -t localhost/sec:1 -o "type=oci,dest=$t/sec.oci" "$t/sec" > "$t/sec.log" 2>&1 || { cat "$t/sec.log"; fail "secret build"; }
kiln inspect --attestations localhost/sec:1 > "$t/sec-att.json"
grep -q '"NOTE": "visible"' "$t/sec-att.json" || fail "the build arg is not in the provenance"
grep -q '"tok"' "$t/sec-att.json" || fail "the secret id is not in the provenance"
mkdir -p "$t/sec-blobs"
python3 - "$t/sec.oci" "$t/sec-blobs" <<'PY'
import json, os, shutil, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
for top in json.load(open(os.path.join(d, "index.json")))["manifests"]:
    for m in json.load(open(blob(top["digest"])))["manifests"]:
        if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest":
            for l in json.load(open(blob(m["digest"])))["layers"]:
                shutil.copy(blob(l["digest"]), sys.argv[2])
PY
[ "$(ls "$t/sec-blobs" | wc -l)" = 2 ] || fail "expected 2 attestation blobs in the OCI output"
for needle in "$secret" "$t/secret-src/token-file.txt" "token-file.txt" "KILN_TEST_SECRET"; do
  found=$(grep -r -a -l -F -- "$needle" "$t/sec-blobs" "$t/sec-att.json" || true)
  [ -z "$found" ] || fail "\"$needle\" appears in an attestation: $found"
done
# The same search finds what is there (the build arg's value).
[ -n "$(grep -r -a -l -F -- visible "$t/sec-blobs")" ] || fail "the byte search finds nothing"
echo "ok: attestations"
