#!/usr/bin/env bash
# kill -9 during `kiln save` leaves FILE.tar.tmp-* beside the target, or partial blobs in a
# directory export (on another file system: on the store's, blobs are linked, not copied);
# rerunning the same save removes them (issue 12 item 10).
source "$(dirname "$0")/linux_run_lib.sh"

mkdir -p "$t/big"
head -c $((96 << 20)) /dev/urandom > "$t/big/big.bin"
printf 'FROM scratch\nCOPY big.bin /big.bin\n' > "$t/big/Dockerfile"
kiln build -t localhost/big:1 --compression-level 1 "$t/big" > "$t/log" 2>&1 || { cat "$t/log"; fail "big image"; }

# kill -9 during save, then the same save again: no temp sibling and no partial blob.
save_killed() {  # save_killed TARGET TEMP-GLOB
  local target=$1 glob=$2 pid caught=""
  for _ in 1 2 3 4 5; do
    rm -rf "$target"
    "$kiln_bin" --root "$store" --progress plain save localhost/big:1 -o "$target" > "$t/save.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 4000); do compgen -G "$glob" > /dev/null && break; done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    if compgen -G "$glob" > /dev/null; then caught=1; break; fi
  done
  [ -n "$caught" ] || fail "save to $target was never caught with a temp file (the test would prove nothing)"
  echo "killed save left: $(compgen -G "$glob" | xargs -n1 basename)"
  kiln save localhost/big:1 -o "$target" > "$t/save.log" 2>&1 || { cat "$t/save.log"; fail "save again"; }
  ! compgen -G "$glob" > /dev/null || fail "temp files of the killed save left: $(compgen -G "$glob")"
}
save_killed "$t/out.tar" "$t/out.tar.tmp-*"
# A directory export on the store's file system links the blobs (nothing to kill mid-copy); one
# on another file system copies them: a tmpfs here (unmounted by the lib's cleanup).
mkdir -p "$t/otherfs"
mount -t tmpfs -o size=512m tmpfs "$t/otherfs" || fail "cannot mount a tmpfs for the directory export"
save_killed "$t/otherfs/outdir" "$t/otherfs/outdir/blobs/sha256/*.tmp-*"

echo ok
