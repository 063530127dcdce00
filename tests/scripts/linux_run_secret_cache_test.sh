#!/usr/bin/env bash
# Must show 3 and 4 of RUN on Linux. A secret a RUN step reads (RUN --mount=type=secret, with
# mode/uid/gid, from a file or an environment variable) reaches the step but no blob of the
# store, no file of the exported image, no cache record and no log — searched byte-wise, gzip
# blobs also decompressed — while a step that copies it into the image is caught by the same
# search. A cache mount keeps its contents across builds, and an unchanged RUN step is a cache
# hit that starts no runc container.
source "$(dirname "$0")/linux_run_lib.sh"

# Every runc call of kiln is logged by a wrapper first in PATH.
mkdir -p "$t/bin"
printf '#!/bin/sh\necho "$*" >> %s/runc.calls\nexec %s "$@"\n' "$t" "$(command -v runc)" > "$t/bin/runc"
chmod +x "$t/bin/runc"
export PATH=$t/bin:$PATH
runs() { grep -c -- ' run ' "$t/runc.calls" 2>/dev/null || true; }

make_context "$t/base" < "$src/samples/linux-busybox/Dockerfile"
kiln build --target base -t localhost/bb:base "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "base"; }

# --- 3. secrets ---------------------------------------------------------------------------
secret="kiln-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$secret" > "$t/secret.txt"
want_md5=$(md5sum < "$t/secret.txt" | cut -d' ' -f1)
make_context "$t/sec" <<'DF'
FROM localhost/bb:base
RUN --mount=type=secret,id=tok,mode=0440,uid=65534,gid=65534 \
    stat -c '%a %u %g' /run/secrets/tok > /secret-stat && md5sum < /run/secrets/tok > /secret-md5
USER nobody
RUN --mount=type=secret,id=tok,target=/home/tok,uid=65534 wc -c < /home/tok > /tmp/secret-size
RUN --mount=type=secret,id=envtok,uid=65534 md5sum < /run/secrets/envtok > /tmp/env-md5
DF
env_secret="$secret-from-env"
env_md5=$(printf '%s' "$env_secret" | md5sum | cut -d' ' -f1)
# --provenance=false on the OCI outputs umoci unpacks: umoci 0.4.7 refuses an index with an
# attestation manifest ("tag is ambiguous"); attestation_test.sh searches attestations for secrets.
KILN_TEST_SECRET=$env_secret kiln --debug build --secret "id=tok,src=$t/secret.txt" \
  --secret id=envtok,env=KILN_TEST_SECRET --compression none --provenance=false -t localhost/sec:1 \
  -o "type=oci,dest=$t/sec.oci" "$t/sec" > "$t/sec.log" 2>&1 || { cat "$t/sec.log"; fail "secret build"; }
check_nothing_left "secret build"
umoci unpack --image "$t/sec.oci:1" "$t/sec.bundle" > /dev/null
r=$t/sec.bundle/rootfs
[ "$(cat "$r/secret-stat")" = "440 65534 65534" ] || fail "secret mode/uid/gid: $(cat "$r/secret-stat")"
[ "$(cut -d' ' -f1 < "$r/secret-md5")" = "$want_md5" ] || fail "the step read another secret"
[ "$(tr -d ' ' < "$r/tmp/secret-size")" = "${#secret}" ] || fail "nobody could not read the secret"
[ "$(cut -d' ' -f1 < "$r/tmp/env-md5")" = "$env_md5" ] || fail "the env= secret did not arrive"
[ ! -e "$r/run/secrets" ] && [ ! -e "$r/home" ] || fail "secret mount points left in the image"

# leaks DIR...: files below DIR holding the secret, plain or inside gzip data.
leaks() {
  grep -r -a -l -F -- "$secret" "$@" || true
  find "$@" -type f -print0 | while IFS= read -r -d '' f; do
    if [ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ] &&
      gzip -dc < "$f" 2>/dev/null | grep -a -F -- "$secret" > /dev/null; then echo "$f (gzip)"; fi
  done
}
found=$(leaks "$store" "$t/sec.oci" "$t/sec.log")
[ -z "$found" ] || fail "the secret leaked into: $found"

# The same search finds a secret that a step does copy into its layer.
printf 'FROM localhost/bb:base\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /leak\n' |
  make_context "$t/leak"
kiln build --secret "id=tok,src=$t/secret.txt" "$t/leak" > "$t/leak.log" 2>&1 ||
  { cat "$t/leak.log"; fail "leak build"; }
[ -n "$(leaks "$store")" ] || fail "the search does not find a secret that is in a layer"

# A required secret that was not given fails before the step runs.
printf 'FROM localhost/bb:base\nRUN --mount=type=secret,id=none,required=true true\n' |
  make_context "$t/req"
if kiln build "$t/req" > "$t/req.log" 2>&1; then fail "a missing required secret built"; fi
grep -q 'secret "none" is required' "$t/req.log" || { cat "$t/req.log"; fail "required secret"; }

# --- 4. cache mounts and the step cache -----------------------------------------------------
make_context "$t/cache" <<'DF'
FROM localhost/bb:base
ARG ROUND
RUN --mount=type=cache,target=/var/cache/app,id=rounds \
    echo "round $ROUND" >> /var/cache/app/log && cp /var/cache/app/log /rounds
DF
build_round() {
  kiln build --build-arg "ROUND=$1" --provenance=false -t localhost/cache:1 -o "type=oci,dest=$t/cache$2.oci" \
    "$t/cache" > "$t/cache$2.log" 2>&1 || { cat "$t/cache$2.log"; fail "cache build $2"; }
}
rounds_in() {
  umoci unpack --image "$t/cache$1.oci:1" "$t/cache$1.bundle" > /dev/null
  tr '\n' ' ' < "$t/cache$1.bundle/rootfs/rounds"
}
before=$(runs)
build_round 1 a
[ "$(runs)" -gt "$before" ] || fail "the runc wrapper saw no run (the check below could not fail)"
build_round 2 b
[ "$(rounds_in b)" = "round 1 round 2 " ] || fail "the cache mount did not persist: $(rounds_in b)"
before=$(runs)
build_round 2 c
[ "$(runs)" = "$before" ] || fail "an unchanged RUN started runc"
grep -q '\] RUN .*: cached$' "$t/cachec.log" || { cat "$t/cachec.log"; fail "no cached RUN reported"; }
[ "$(rounds_in c)" = "round 1 round 2 " ] || fail "the cache hit changed the image"
check_nothing_left "cache builds"
echo "ok"
