#!/usr/bin/env bash
# The local store keeps image content from other users of the machine (issue 12 item 3): a
# setuid-root program of an image, unpacked for a RUN step, cannot be run (nor any blob read)
# through the store by an unprivileged user; every directory of the store is 0700; a --root
# that others can write is refused and an older store's 0755 directories are tightened.
source "$(dirname "$0")/linux_run_lib.sh"
chmod 755 "$t"  # only the store's own permissions stand between "nobody" and its content

# runuser, not setpriv: setpriv --reuid keeps root's capabilities until its own execve, so the
# path lookup of the program it starts still bypasses directory permissions.
nobody() { runuser -u nobody -- "$@"; }

# An image with a setuid-root busybox, then a RUN on top of it so its layer is unpacked into
# the snapshotter's cache; and a step run as an unprivileged user still works.
make_context "$t/suid" <<'DF'
FROM scratch
COPY --chmod=4755 busybox /suid/id
COPY busybox /bin/busybox
DF
kiln build -t localhost/suid:1 "$t/suid" > "$t/log" 2>&1 || { cat "$t/log"; fail "suid image"; }
make_context "$t/run" <<'DF'
FROM localhost/suid:1
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir /tmp && /bin/busybox chmod 1777 /tmp"]
USER 65534
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox id -u > /tmp/me"]
DF
kiln build -t localhost/suid:run "$t/run" > "$t/log" 2>&1 || { cat "$t/log"; fail "RUN on the suid image"; }

suid=$(find "$store" -type f -perm -4000 -path '*/suid/id')
[ -n "$suid" ] || fail "no unpacked setuid program in the store (the test would prove nothing)"
for f in $suid; do
  # busybox runs its "id" applet: on success it prints the ids it runs with.
  out=$(nobody "$f" 2>&1) && fail "an unprivileged user ran the image's setuid $f: $out"
  case $out in *"Permission denied"*) ;; *) fail "running $f as nobody failed oddly: $out" ;; esac
done
for f in $(find "$store/blobs" -type f | head -3); do
  nobody cat "$f" > /dev/null 2>&1 && fail "an unprivileged user read $f"
done
nobody ls "$store/snapshots" > /dev/null 2>&1 && fail "an unprivileged user listed snapshots/"
loose=$(find "$store" -mindepth 1 -maxdepth 1 -type d -perm /077)
[ -z "$loose" ] || fail "store directories others can enter: $(ls -ld $loose)"
[ "$(stat -c %a "$store")" = 700 ] || fail "a new store root is $(stat -c %a "$store"), not 700"

# A store of an older kiln (0755 everywhere) is tightened by the next command.
chmod 755 "$store" "$store"/*/
kiln images > /dev/null || fail "kiln images on the old store"
loose=$(find "$store" -mindepth 1 -maxdepth 1 -type d -perm /077)
[ -z "$loose" ] || fail "an old store's directories were not tightened: $(ls -ld $loose)"
for f in $suid; do nobody "$f" id > /dev/null 2>&1 && fail "$f runnable after reopening"; done

# A root others can write (or that another user owns) is refused, with the reason.
mkdir -m 777 "$t/shared"
rc=0
"$kiln_bin" --root "$t/shared" images > "$t/shared.out" 2> "$t/shared.err" || rc=$?
[ "$rc" = 2 ] || { cat "$t/shared.err"; fail "a world-writable root: exit code $rc, not 2"; }
grep -q "^kiln: the store root $t/shared is writable by other users (mode 0777)" "$t/shared.err" ||
  { cat "$t/shared.err"; fail "a world-writable root: no clear error"; }
[ -z "$(ls -A "$t/shared")" ] || fail "kiln wrote into the refused root: $(ls -A "$t/shared")"
mkdir -m 700 "$t/theirs" && chown 65534:65534 "$t/theirs"
rc=0
"$kiln_bin" --root "$t/theirs" images > /dev/null 2> "$t/theirs.err" || rc=$?
[ "$rc" = 2 ] && grep -q "belongs to uid 65534, not to you" "$t/theirs.err" ||
  { cat "$t/theirs.err"; fail "another user's root: exit code $rc"; }
check_nothing_left "permissions"
echo ok
