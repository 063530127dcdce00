#!/usr/bin/env bash
# The build context is a boundary for RUN steps too (docs/security.md, "Build context"):
# RUN --mount=type=bind resolves its source inside the context (symlinks evaluated with the
# context as "/", as BuildKit does) when a symlinked directory sits at the start, in the middle
# or at the end of the source path, read-only and rw, also in a named context directory and a
# stage; a bind mount of the context shows no
# .dockerignore'd file, whatever path reaches it; RUN --mount=type=secret,env=E sets E to the
# secret (and, without a target, mounts no file), as BuildKit does, and the secret reaches no
# file of the store or log.
source "$(dirname "$0")/linux_run_lib.sh"

failures=0
check() {  # check DESCRIPTION COMMAND...: records a failure and goes on
  local what=$1
  shift
  if ! "$@"; then echo "FAIL: $what" >&2; failures=$((failures + 1)); fi
}

make_context "$t/base" < "$src/samples/linux-busybox/Dockerfile"
kiln build --target base -t localhost/bb:base "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "base"; }

# build NAME DOCKERFILE-TEXT [kiln build flags...]: builds $t/ctx, unpacks the image at $t/NAME.
build() {
  local name=$1 text=$2
  shift 2
  printf '%s\n' "$text" > "$t/ctx/Dockerfile"
  # --provenance=false: umoci 0.4.7 refuses an index with an attestation manifest ("tag is
  # ambiguous"), and an OCI layout gets min provenance by default (as with buildx).
  if ! kiln build "$@" --provenance=false -t "localhost/ctx:$name" -o "type=oci,dest=$t/$name.oci" "$t/ctx" \
    > "$t/$name.log" 2>&1; then
    return 1
  fi
  umoci unpack --image "$t/$name.oci:$name" "$t/$name.bundle" > /dev/null
}
file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }

# --- 1. symlinked directories along a bind mount's source -------------------------------------
mkdir -p "$t/ctx/sub" "$t/ctx/etc" "$t/etc" "$t/outside" "$t/ctx$t/outside"
ln -s / "$t/ctx/root"                                   # start:  root/etc
echo inside-etc > "$t/ctx/etc/hostname"
ln -s ../.. "$t/ctx/sub/up"                             # middle: sub/up/etc
echo OUTSIDE-middle > "$t/etc/hostname"
ln -s "$t/outside" "$t/ctx/dir"                         # end:    dir
echo OUTSIDE-end > "$t/outside/secret.txt"
echo inside-end > "$t/ctx$t/outside/inside-end.txt"
for mode in ro rw; do
  opt=$([ $mode = rw ] && echo ,rw || true)
  for c in "start root/etc hostname inside-etc" "middle sub/up/etc hostname inside-etc" \
    "end dir inside-end.txt inside-end"; do
    set -- $c
    if build "$1$mode" "FROM localhost/bb:base
RUN --mount=type=bind,source=$2,target=/m$opt cat /m/$3 > /got; ls /m > /listing"; then
      check "bind source $2 ($mode): read $(cat "$t/$1$mode.bundle/rootfs/got")" \
        file_is "$t/$1$mode.bundle/rootfs/got" "$4"
      check "bind source $2 ($mode) shows files from outside the context" \
        bash -c "! grep -q secret.txt '$t/$1$mode.bundle/rootfs/listing'"
    else
      check "bind source $2 ($mode) did not build: $(tail -1 "$t/$1$mode.log")" false
    fi
  done
done
# The same resolution in the other trees a path can name: a named context directory, and a
# stage (flattened on the host) whose /up is a link to "/".
mkdir -p "$t/named/etc"
ln -s / "$t/named/root"
echo named-etc > "$t/named/etc/hostname"
if build named "FROM localhost/bb:base
RUN --mount=type=bind,from=other,source=root/etc,target=/m cat /m/hostname > /got" \
  --build-context "other=$t/named"; then
  check "bind from a named context: read $(cat "$t/named.bundle/rootfs/got")" \
    file_is "$t/named.bundle/rootfs/got" named-etc
else
  check "bind from a named context did not build: $(tail -1 "$t/named.log")" false
fi
if build stage "FROM localhost/bb:base AS s
RUN mkdir -p /etc && echo stage-etc > /etc/hostname && ln -s / /up
FROM localhost/bb:base
COPY --from=s up/etc/hostname /copied
RUN --mount=type=bind,from=s,source=up/etc,target=/m cat /m/hostname > /got"; then
  check "bind from a stage: read $(cat "$t/stage.bundle/rootfs/got")" \
    file_is "$t/stage.bundle/rootfs/got" stage-etc
  check "COPY --from a stage: copied $(cat "$t/stage.bundle/rootfs/copied")" \
    file_is "$t/stage.bundle/rootfs/copied" stage-etc
else
  check "bind from a stage did not build: $(tail -1 "$t/stage.log")" false
fi
check_nothing_left "bind mounts along symlinks"

# --- 2. .dockerignore'd files through a bind mount ------------------------------------------
rm -rf "$t/ctx"
make_context "$t/ctx" < /dev/null
printf 'secret.txt\nsecretdir\n!secretdir/public.txt\n' > "$t/ctx/.dockerignore"
echo s3cret-file > "$t/ctx/secret.txt"
mkdir -p "$t/ctx/secretdir" "$t/ctx/sub"
echo s3cret-dir > "$t/ctx/secretdir/key.txt"
echo public > "$t/ctx/secretdir/public.txt"
echo kept > "$t/ctx/keep.txt"
chmod 0750 "$t/ctx/sub"
ln -s secret.txt "$t/ctx/link"
ln -s . "$t/ctx/self"
for mode in ro rw; do
  opt=$([ $mode = rw ] && echo ,rw || true)
  for source in "" self; do
    name=ign$mode${source:-root}
    if build "$name" "FROM localhost/bb:base
RUN --mount=type=bind,${source:+source=$source,}target=/c$opt ls -a /c /c/secretdir > /listing; \
 cat /c/secret.txt /c/secretdir/key.txt > /leak 2>/dev/null; stat -c '%a %u' /c/sub > /sub-stat; \
 echo x > /c/new 2>/dev/null; true"; then
      r=$t/$name.bundle/rootfs
      check "bind ${source:-of the context} ($mode) shows ignored files: $(tr '\n' ' ' < "$r/listing")" \
        bash -c "! grep -qx -e secret.txt -e key.txt '$r/listing'"
      check "bind ${source:-of the context} ($mode) hides files it must show" \
        bash -c "grep -qx keep.txt '$r/listing' && grep -qx public.txt '$r/listing'"
      check "bind ${source:-of the context} ($mode) let the step read ignored bytes" \
        bash -c "! grep -q s3cret '$r/leak'"
      check "bind ${source:-of the context} ($mode): a directory's mode/owner changed: $(cat "$r/sub-stat")" \
        file_is "$r/sub-stat" "750 0"
    else
      check "bind ${source:-of the context} ($mode) did not build: $(tail -1 "$t/$name.log")" false
    fi
  done
done
check "a rw bind mount changed the context" test ! -e "$t/ctx/new"
# An unprivileged step reads through the filtered view as through a plain bind mount.
if build ignnobody "FROM localhost/bb:base
USER nobody
RUN --mount=type=bind,target=/c cat /c/keep.txt > /tmp/kept; ls /c > /tmp/listing"; then
  check "nobody could not read keep.txt through the filtered view" \
    file_is "$t/ignnobody.bundle/rootfs/tmp/kept" kept
  check "nobody saw an ignored file" bash -c "! grep -qx secret.txt '$t/ignnobody.bundle/rootfs/tmp/listing'"
else
  check "filtered bind as nobody did not build: $(tail -1 "$t/ignnobody.log")" false
fi
for source in link secret.txt self/secretdir/key.txt; do
  if build "ignsrc" "FROM localhost/bb:base
RUN --mount=type=bind,source=$source,target=/s cat /s > /leak"; then
    check "bind source=$source (ignored) built: $(cat "$t/ignsrc.bundle/rootfs/leak")" false
    rm -rf "$t/ignsrc.bundle"
  else
    check "bind source=$source: wrong error: $(tail -1 "$t/ignsrc.log")" \
      grep -q 'not found in build context or excluded by .dockerignore' "$t/ignsrc.log"
  fi
done
check_nothing_left "bind mounts of ignored files"

# --- 2b. the cache key of a bind mount is what the step sees -----------------------------------
printf 'FROM localhost/bb:base\nRUN --mount=type=bind,target=/c cat /c/keep.txt > /kept\n' > "$t/ctx/Dockerfile"
key_build() { kiln build -t localhost/ctx:key "$t/ctx" > "$t/key$1.log" 2>&1 || { cat "$t/key$1.log"; fail "key build $1"; }; }
cached() { grep -q '\] RUN .*: cached$' "$t/key$1.log"; }
key_build 1
echo s3cret-changed > "$t/ctx/secret.txt"
key_build 2
check "changing an ignored file reran a RUN that binds the context" cached 2
echo kept-changed > "$t/ctx/keep.txt"
key_build 3
check "changing a bound file left the RUN cached (a stale result)" bash -c "! grep -q '\\] RUN .*: cached\$' '$t/key3.log'"

# --- 3. RUN --mount=type=secret,env= ----------------------------------------------------------
secret="kiln-env-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$secret" > "$t/secret.txt"
want=$(printf '%s' "$secret" | md5sum | cut -d' ' -f1)
want_env=$(printf '%s' "$secret-env" | md5sum | cut -d' ' -f1)
if KILN_TEST_SECRET="$secret-env" build env "FROM localhost/bb:base
ENV E=not-the-secret
RUN --mount=type=secret,id=e,env=E printf %s \"\$E\" | md5sum > /env; ls -A /run/secrets > /files 2>&1; true
RUN --mount=type=secret,id=e,env=F,target=/run/secrets/f printf %s \"\$F\" | md5sum > /env2; md5sum < /run/secrets/f > /file2
RUN --mount=type=secret,id=ee,env=G printf %s \"\$G\" | md5sum > /env3
RUN echo \"\$E\" > /after" --secret "id=e,src=$t/secret.txt" --secret id=ee,env=KILN_TEST_SECRET; then
  r=$t/env.bundle/rootfs
  check "env=E: \$E is not the secret" file_is <(cut -d' ' -f1 "$r/env") "$want"
  check "env=E without a target mounted a file: $(cat "$r/files")" bash -c "! grep -q '^e$' '$r/files'"
  check "env=F with a target: \$F is not the secret" file_is <(cut -d' ' -f1 "$r/env2") "$want"
  check "env=F with a target: no file" file_is <(cut -d' ' -f1 "$r/file2") "$want"
  check "env=G from --secret env=: \$G is not the secret" file_is <(cut -d' ' -f1 "$r/env3") "$want_env"
  check "the secret stayed in the environment of a later step" file_is "$r/after" not-the-secret
  found=$(grep -r -a -l -F -- "$secret" "$store" "$t/env.oci" "$t/env.log" || true)
  check "the secret leaked into: $found" test -z "$found"
else
  check "secret env build failed: $(tail -1 "$t/env.log")" false
fi
check_nothing_left "secret env"

[ "$failures" = 0 ] || fail "$failures check(s) failed"
echo "ok"
