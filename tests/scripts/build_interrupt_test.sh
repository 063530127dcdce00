#!/usr/bin/env bash
# Ctrl-C during a COPY-only Windows build (a gzip -9 layer of 256 MiB of random bytes, interrupted half a second into the step, while the file is written):
# kiln exits 130, leaves no partial blob in tmp/, no name for the unfinished image, every blob in
# the store matches its digest, and the next build of the same context succeeds.
# Usage: build_interrupt_test.sh KILN   (env KILN_SOURCE_DIR)
set -euo pipefail
kiln_bin=$1
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$t/ctx"
head -c $((256 << 20)) /dev/urandom > "$t/ctx/big.bin"
printf 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY big.bin C:/data/big.bin\n' \
  > "$t/ctx/Dockerfile"
base="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"
build=("$kiln_bin" --root "$t/store" --progress plain build -t big:1 --compression-level 9
       --build-context "$base" "$t/ctx")

"${build[@]}" > "$t/build.err" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do grep -q "COPY big.bin" "$t/build.err" && break; sleep 0.02; done
# Half a second into the step: the one 256 MiB file is being written (gzip -9 takes seconds), so
# the Ctrl-C lands inside one entry's data, which must be honoured there, not after the file.
sleep 0.5
kill -INT "$pid" 2> /dev/null || fail "kiln finished before Ctrl-C: $(cat "$t/build.err")"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$t/build.err"; fail "exit code $rc, not 130"; }

[ -z "$(ls -A "$t/store/tmp" 2> /dev/null)" ] || fail "partial blobs left in tmp/: $(ls "$t/store/tmp")"
if "$kiln_bin" --root "$t/store" inspect big:1 > /dev/null 2>&1; then
  fail "the interrupted build left a name"
fi
for b in "$t"/store/blobs/sha256/*; do
  [ -e "$b" ] || continue
  [ "$(sha256sum < "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "blob $b does not match its digest"
done

"${build[@]}" > "$t/again.err" 2>&1 || { cat "$t/again.err"; fail "the build after Ctrl-C failed"; }
"$kiln_bin" --root "$t/store" inspect big:1 > /dev/null || fail "no image after the second build"
echo "ok"
