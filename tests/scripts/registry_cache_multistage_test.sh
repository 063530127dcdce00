#!/usr/bin/env bash
# Issue 15, must-show 1 for a multi-stage Linux+Windows build (samples/multistage: a busybox
# stage RUNs under runc, a Nano Server stage COPYs --from it). Runner A exports mode=max and
# pushes; runner B (empty store) with --cache-from hits every layer step (COPY, RUN, WORKDIR C:, COPY --from; WORKDIR /src writes none), pushes
# the same digest, fetches no layer and uploads nothing. mode=min exports only the target's
# lineage: a runner using it reruns the builder stage's RUN but still hits the COPY --from.
source "$(dirname "$0")/registry_cache_lib.sh" "$@"
if [ "$(id -u)" -ne 0 ] || ! command -v runc > /dev/null; then
  echo "kiln-skip: the multistage sample's RUN needs root and runc"; exit 77
fi

start_registry
cp -r "$src/samples/multistage" "$t/ms"
# busybox:1.36 for the builder stage, made in each runner's store from Debian's busybox-static
# (the same bytes and SOURCE_DATE_EPOCH on both, so the same base digest: a real CI pulls it).
mkdir -p "$t/bb/rootfs/bin" "$t/bb/rootfs/tmp"
cp /bin/busybox "$t/bb/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$t/bb/rootfs/bin/$a"; done
chmod 1777 "$t/bb/rootfs/tmp"
printf 'FROM scratch\nCOPY rootfs/ /\nCMD ["sh"]\n' > "$t/bb/Dockerfile"
busybox_in() { SOURCE_DATE_EPOCH=1700000000 runner "bb-$1" build -t busybox:1.36 "$t/bb"; mv "$t/store-bb-$1" "$t/store-$1"; }

busybox_in a
runner a build -t "$reg/kiln/site:1" --build-context "$nano" --push --metadata-file "$t/a.json" \
  --cache-to "type=registry,ref=$reg/kiln/site-cache:max,mode=max" \
  --cache-to "type=registry,ref=$reg/kiln/site-cache:min,mode=min" "$t/ms"

busybox_in b
mark=$(log_mark)
runner b build -t "$reg/kiln/site:1" --build-context "$nano" --push --metadata-file "$t/b.json" \
  --cache-from "type=registry,ref=$reg/kiln/site-cache:max" "$t/ms"
reqs=$(requests_since "$mark")
[ "$(json "$t/a.json" 'd["containerimage.digest"]')" = "$(json "$t/b.json" 'd["containerimage.digest"]')" ] ||
  fail "B's digest differs from A's"
steps=$(grep -cE '\] (WORKDIR|COPY|RUN) .*: cached$' "$t/b.log" || true)
[ "$steps" = 4 ] || { cat "$t/b.log"; fail "B: $steps of 4 layer steps were hits"; }
config=$(json "$t/a.json" '[e for e in d["kiln.cache.exported"] if e["ref"].endswith(":max")][0]["config"]')
[ "$(blob_gets <<< "$reqs")" = "GET /v2/kiln/site-cache/blobs/$config 200" ] ||
  fail "B fetched blobs other than the cache config: $(blob_gets <<< "$reqs")"
[ -z "$(blob_uploads <<< "$reqs")" ] || fail "B uploaded: $(blob_uploads <<< "$reqs")"

busybox_in c
runner c build -t "$reg/kiln/site:1" --build-context "$nano" --metadata-file "$t/c.json" \
  --cache-from "type=registry,ref=$reg/kiln/site-cache:min" "$t/ms"
grep -E '\] RUN .*: done' "$t/c.log" > /dev/null || { cat "$t/c.log"; fail "mode=min: the builder's RUN should rerun"; }
grep -E '\] COPY --from=build .*: cached$' "$t/c.log" > /dev/null || { cat "$t/c.log"; fail "mode=min: COPY --from should hit"; }
echo "ok"
