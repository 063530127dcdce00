#!/usr/bin/env bash
# Must show 1 of RUN on Linux: samples/linux-busybox (a busybox base built by kiln from Debian's
# busybox-static, RUN steps that create, modify and delete files — also files of the base —
# replace a directory, make symlinks, hard links, setuid/setgid and owned files, a step as
# `nobody`) builds with kiln, and `umoci unpack` of the exported OCI image shows exactly the
# expected tree (tests/scripts/golden/linux_run_tree.txt; UPDATE_GOLDEN=1 rewrites it).
source "$(dirname "$0")/linux_run_lib.sh"
golden=$src/tests/scripts/golden/linux_run_tree.txt

make_context "$t/ctx" < "$src/samples/linux-busybox/Dockerfile"
# --provenance=false: umoci 0.4.7 refuses an index with an attestation manifest ("tag is
# ambiguous"), and an OCI layout gets min provenance by default (as buildx's).
kiln build --provenance=false -t localhost/linux-busybox:1 -o "type=oci,dest=$t/out.oci" "$t/ctx" > "$t/log" 2>&1 ||
  { cat "$t/log"; fail "build failed"; }
check_nothing_left "after the build"

umoci unpack --image "$t/out.oci:1" "$t/bundle" > /dev/null
root=$t/bundle/rootfs
tree_listing "$root" > "$t/tree.txt"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$t/tree.txt" "$golden"; fi
diff -u "$golden" "$t/tree.txt" || fail "the unpacked tree differs from $golden"

# /bin: busybox itself plus one symlink per applet, except the deleted wget.
cmp /bin/busybox "$root/bin/busybox" || fail "/bin/busybox differs from Debian's"
expected=$( (echo busybox; /bin/busybox --list) | grep -vx wget | sort -u)
actual=$(ls -A "$root/bin" | sort)
[ "$expected" = "$actual" ] ||
  fail "/bin holds other names than busybox and its applets: $(diff <(echo "$expected") <(echo "$actual"))"
for l in sh ls; do [ "$(readlink "$root/bin/$l")" = /bin/busybox ] || fail "/bin/$l is no link"; done

# The opaque directory is one in the layer: the old contents of /data/drop are gone (golden)
# and the layer carries the opaque marker.
layer_has_opaque=0
for blob in "$t"/out.oci/blobs/sha256/*; do
  if tar -tzf "$blob" 2>/dev/null | grep -x 'data/drop/.wh..wh..opq' > /dev/null; then layer_has_opaque=1; fi
done
[ "$layer_has_opaque" = 1 ] || fail "no layer marks data/drop opaque"

# A rebuild reuses every step.
kiln build -t localhost/linux-busybox:1 "$t/ctx" > "$t/log2" 2>&1 || { cat "$t/log2"; fail "rebuild"; }
ran=$(grep -c '\] RUN .*: done (' "$t/log2" || true)
cached=$(grep -c '\] RUN .*: cached$' "$t/log2" || true)
[ "$ran" = 0 ] && [ "$cached" -ge 5 ] || { cat "$t/log2"; fail "the rebuild ran RUN steps again"; }
echo "ok"
