#!/usr/bin/env bash
# docker as an independent consumer of kiln's images (issue 18), on a private dockerd
# (tests/support/dockerd.sh; the test is skipped with one line where dockerd cannot start):
#  1. `docker load` of `kiln save --format docker` and of `kiln build -o type=docker` (Linux),
#     then `docker run --network none`: files, owners, modes, links, user, env, entrypoint, cmd
#     and working dir are what the Dockerfiles set, and docker's image ID is kiln's config digest;
#  2. `docker pull` from a local docker-registry of an image kiln pushed, and of the linux/amd64
#     entry of a two-platform index kiln pushed, then run;
#  3. `docker load` of a Windows docker-archive fails only with docker's OS message;
#  4. `docker history` shows kiln's history lines;
#  5. a kiln-shrunk Linux image runs the same as before, with fewer layers.
source "$(dirname "$0")/linux_run_lib.sh"
source "$src/tests/support/dockerd.sh"
dockerd_start "$t/d"  # its stop runs first on exit

cfg=$t/kiln-config
mkdir -p "$cfg"
kiln() { "$kiln_bin" --root "$store" --config "$cfg" --progress plain "$@"; }
quiet() { "$@" > "$t/cmd.log" 2>&1 || { cat "$t/cmd.log" >&2; fail "$*"; }; }
# Every image out of the daemon, so the next load or pull starts from nothing.
docker_clean() {
  local ids
  ids=$(dock image ls -aq | sort -u)
  [ -z "$ids" ] || dock image rm -f $ids > /dev/null
  [ -z "$(dock image ls -aq)" ] || fail "images left in dockerd"
}
expect() {  # WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected
$2
got
$3"
}
config_digest() {  # NAME [PLATFORM] -> sha256:... of the stored image's (or index entry's) config
  kiln inspect --json "$1" | python3 -c '
import json, sys
ms = json.load(sys.stdin)["manifests"]
ms = [m for m in ms if len(sys.argv) < 2 or m["platform"] == sys.argv[1]]
assert len(ms) == 1, ms
print(ms[0]["manifest"]["config"]["digest"])' ${2:+"$2"}
}

# --- the images --------------------------------------------------------------------------------
make_context "$t/lb" < "$src/samples/linux-busybox/Dockerfile"
quiet kiln build -t localhost/linux-busybox:1 -o "type=docker,dest=$t/lb-build.tar" "$t/lb"
quiet kiln save --format docker localhost/linux-busybox:1 -o "$t/lb-save.tar"

# On top of it: env (two spaces, an empty value, PATH), a working dir, files owned by a numeric
# user, that user, an entrypoint script and a cmd whose second argument has a space.
mkdir -p "$t/app"
cat > "$t/app/show.sh" <<'EOF'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd)"
echo "greeting=[$GREETING] empty=[${EMPTY-unset}] path=$PATH"
for a in "$@"; do echo "arg=[$a]"; done
EOF
chmod 755 "$t/app/show.sh"
echo data > "$t/app/data.txt"
cat > "$t/app/Dockerfile" <<'EOF'
FROM localhost/linux-busybox:1
USER root
ENV GREETING="hello  docker" EMPTY= PATH=/usr/local/bin:/bin
WORKDIR /srv/app
COPY --chown=1234:5678 show.sh /usr/local/bin/show
COPY data.txt ./
USER 1234:5678
ENTRYPOINT ["/usr/local/bin/show"]
CMD ["first", "second arg"]
EOF
quiet kiln build -t localhost/app:1 "$t/app"
quiet kiln save --format docker localhost/app:1 -o "$t/app.tar"
lb_config=$(config_digest localhost/linux-busybox:1)
app_config=$(config_digest localhost/app:1)

app_expected='uid=1234 gid=5678 cwd=/srv/app
greeting=[hello  docker] empty=[] path=/usr/local/bin:/bin
arg=[first]
arg=[second arg]'

# What the linux-busybox Dockerfile made, as seen inside a docker container (busybox's own
# tools): contents, modes, owners, link counts, symlinks, deletions, the opaque directory.
lb_probe='id -u; id -g
cat /data/keep/a /data/drop/new /tmp/whoami /tmp/greeting
ls -A /data | tr "\n" " "; echo
ls -A /data/drop
readlink /data/link
stat -c "%n %a %u:%g %h" /data/keep/a /data/hard /data/suid /data/nobody /etc/group
stat -c "%n %a %u:%g" /data/sgid /tmp
for f in /data/gone /data/drop/sub /bin/wget; do [ -e $f ] && echo "present: $f"; done
echo end'
lb_expected='65534
65534
base
changed
fresh
65534
hello from kiln
drop hard keep link nobody sgid suid 
new
keep/a
/data/keep/a 644 0:0 2
/data/hard 644 0:0 2
/data/suid 4755 0:0 1
/data/nobody 644 65534:65534 1
/etc/group 640 0:0 1
/data/sgid 2775 0:0
/tmp 1777 0:0
end'

run_lb_checks() {  # NAME WHAT
  expect "$2: default cmd as nobody" "hello from kiln" \
    "$(dock run --rm --network none "$1")"
  expect "$2: files" "$lb_expected" \
    "$(dock run --rm --network none --entrypoint /bin/sh "$1" -c "$lb_probe")"
}

# --- 1. docker load + run ----------------------------------------------------------------------
for how in save build; do
  docker_clean
  expect "docker load of kiln $how output" "Loaded image: localhost/linux-busybox:1" \
    "$(dock load -i "$t/lb-$how.tar")"
  expect "image ID of the $how archive" "$lb_config" \
    "$(dock image inspect -f '{{.Id}}' localhost/linux-busybox:1)"
  run_lb_checks localhost/linux-busybox:1 "kiln $how archive"
done

docker_clean
expect "docker load of app" "Loaded image: localhost/app:1" "$(dock load -i "$t/app.tar")"
expect "app image ID" "$app_config" "$(dock image inspect -f '{{.Id}}' localhost/app:1)"
expect "app: entrypoint + cmd as 1234:5678 in the working dir" "$app_expected" \
  "$(dock run --rm --network none localhost/app:1)"
expect "app: entrypoint with run arguments" "$(printf '%s\n' "${app_expected%%$'\n'arg=*}" 'arg=[x y]')" \
  "$(dock run --rm --network none localhost/app:1 "x y")"
expect "app: files of COPY --chown and WORKDIR" \
  "/usr/local/bin/show 755 1234:5678
/srv/app/data.txt 644 0:0
/srv/app 755 0:0" \
  "$(dock run --rm --network none --entrypoint stat localhost/app:1 -c '%n %a %u:%g' \
       /usr/local/bin/show /srv/app/data.txt /srv/app)"

# --- 4. docker history: kiln's created_by lines, newest first -----------------------------------
kiln_history=$(python3 - "$store" "$app_config" <<'PY'
import json, sys
cfg = json.load(open(f"{sys.argv[1]}/blobs/sha256/{sys.argv[2][7:]}"))
print("\n".join(h.get("created_by", "") for h in reversed(cfg["history"])))
PY
)
docker_history=$(dock history --no-trunc --format '{{.CreatedBy}}' localhost/app:1)
expect "docker history = kiln's config history" "$kiln_history" "$docker_history"
expect "docker history of the app's own steps" 'CMD ["first", "second arg"]
ENTRYPOINT ["/usr/local/bin/show"]
USER 1234:5678
COPY data.txt ./
COPY --chown=1234:5678 show.sh /usr/local/bin/show
WORKDIR /srv/app
ENV GREETING="hello  docker" EMPTY= PATH=/usr/local/bin:/bin
USER root
CMD ["hello"]' "$(head -9 <<< "$docker_history")"
expect "docker history: layer rows" "$(dock image inspect -f '{{len .RootFS.Layers}}' localhost/app:1)" \
  "$(dock history --format '{{.Size}}' localhost/app:1 | grep -vcx '0B')"

# --- 3. a Windows docker-archive: parsed, refused for its OS only -------------------------------
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"
quiet kiln build -t localhost/hello-nanoserver:1 --build-context "$nano" \
  -o "type=docker,dest=$t/win.tar" "$src/samples/hello-nanoserver"
docker_clean
if dock load -i "$t/win.tar" > "$t/win.out" 2> "$t/win.err"; then fail "docker loaded a Windows image"; fi
expect "docker load of the Windows archive" "cannot load windows image on linux" \
  "$(cat "$t/win.out" "$t/win.err")"
expect "images after the refused load" "" "$(dock image ls -aq)"

# --- 2. docker pull from a registry kiln pushed to ----------------------------------------------
start_registry

pushed=$(kiln push localhost/app:1 "$reg/kiln/app:1" 2> "$t/push.log") || { cat "$t/push.log"; fail "push"; }
docker_clean
quiet dock pull "$reg/kiln/app:1"
expect "pulled app: repo digest is the one kiln pushed" "$pushed" \
  "$(dock image inspect -f '{{index .RepoDigests 0}}' "$reg/kiln/app:1")"
expect "pulled app: image ID" "$app_config" "$(dock image inspect -f '{{.Id}}' "$reg/kiln/app:1")"
expect "pulled app: run" "$app_expected" "$(dock run --rm --network none "$reg/kiln/app:1")"

# Two platforms, one index; each entry says which platform it was built for.
mkdir -p "$t/multi"
cp /bin/busybox "$t/multi/"
cat > "$t/multi/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETPLATFORM
COPY busybox /bin/busybox
ENV BUILT_FOR=$TARGETPLATFORM
ENTRYPOINT ["/bin/busybox", "sh", "-c", "echo built for $BUILT_FOR, running on $(/bin/busybox uname -m)"]
EOF
quiet kiln build --platform linux/arm64,linux/amd64 -t localhost/multi:1 "$t/multi"
pushed=$(kiln push localhost/multi:1 "$reg/kiln/multi:1" 2> "$t/push.log") || { cat "$t/push.log"; fail "push multi"; }
expect "pushed multi is an index of two" "application/vnd.oci.image.index.v1+json 2" \
  "$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$reg/v2/kiln/multi/manifests/1" |
     python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["mediaType"], len(d["manifests"]))')"
docker_clean
quiet dock pull "$reg/kiln/multi:1"
expect "pulled multi: repo digest is the index kiln pushed" "$pushed" \
  "$(dock image inspect -f '{{index .RepoDigests 0}}' "$reg/kiln/multi:1")"
expect "pulled multi: the linux/amd64 entry" "$(config_digest localhost/multi:1 linux/amd64) linux/amd64" \
  "$(dock image inspect -f '{{.Id}} {{.Os}}/{{.Architecture}}' "$reg/kiln/multi:1")"
expect "pulled multi: run" "built for linux/amd64, running on x86_64" \
  "$(dock run --rm --network none "$reg/kiln/multi:1")"

# The same index as a docker-archive: docker loads every entry, and the name must be on the
# entry for this host (docker would run whichever entry carries it), not on the index's first.
quiet kiln save --format docker localhost/multi:1 -o "$t/multi.tar"
docker_clean
quiet dock load -i "$t/multi.tar"
expect "loaded multi: the name is on the linux/amd64 entry" \
  "$(config_digest localhost/multi:1 linux/amd64) linux/amd64" \
  "$(dock image inspect -f '{{.Id}} {{.Os}}/{{.Architecture}}' localhost/multi:1)"
expect "loaded multi: run" "built for linux/amd64, running on x86_64" \
  "$(dock run --rm --network none localhost/multi:1 2>&1)"

# --- 5. kiln shrink: fewer layers, same behaviour -----------------------------------------------
# Default shrink also drops junk (files under /tmp the base does not have); --no-junk keeps
# every file.
quiet kiln shrink localhost/linux-busybox:1 -t localhost/linux-busybox:shrunk
quiet kiln shrink --no-junk localhost/linux-busybox:1 -t localhost/linux-busybox:nojunk
quiet kiln save --format docker localhost/linux-busybox:shrunk -o "$t/shrunk.tar"
quiet kiln save --format docker localhost/linux-busybox:nojunk -o "$t/nojunk.tar"
docker_clean
for a in lb-save shrunk nojunk; do quiet dock load -i "$t/$a.tar"; done
# 7 = COPY busybox, 4 RUN, COPY --from, RUN; shrink keeps the first layer (its Linux base
# guess) and squashes the 6 above it into one.
expect "layers before and after shrink" "7 2 2" "$(for tag in 1 shrunk nojunk; do
  dock image inspect -f '{{len .RootFS.Layers}}' "localhost/linux-busybox:$tag"; done | xargs)"
run_lb_checks localhost/linux-busybox:nojunk "shrunk --no-junk image"
expect "shrunk image: default cmd as nobody" "hello from kiln" \
  "$(dock run --rm --network none localhost/linux-busybox:shrunk)"
# Every path with type, mode, owner and link target, and every file's md5 (directory sizes
# and times are left out: they depend on how the layers were stacked).
tree() {
  dock run --rm --network none --user 0 --entrypoint /bin/sh "$1" -c 'cd / &&
    find . -xdev -mindepth 1 ! -path "./proc*" ! -path "./sys*" ! -path "./dev*" ! -path ./.dockerenv \
      ! -path ./etc/hosts ! -path ./etc/hostname ! -path ./etc/resolv.conf ! -path ./etc/mtab > /dev/shm/l
    xargs stat -c "%n %A %u:%g %N" < /dev/shm/l | sort
    xargs sh -c "for f; do [ -f \"\$f\" ] && [ ! -L \"\$f\" ] && md5sum \"\$f\"; done; true" - < /dev/shm/l | sort'
}
# (docker adds /.dockerenv, /etc/mtab and the bind-mounted /etc files to every container.)
tree localhost/linux-busybox:1 > "$t/tree-orig"
tree localhost/linux-busybox:nojunk > "$t/tree-nojunk"
tree localhost/linux-busybox:shrunk > "$t/tree-shrunk"
for line in "./bin/busybox -rwxr-xr-x 0:0 ./bin/busybox" "$(md5sum /bin/busybox | cut -c1-32)  ./bin/busybox" \
    "./bin/sh lrwxrwxrwx 0:0 './bin/sh' -> '/bin/busybox'" "./data/sgid drwxrwsr-x 0:0 ./data/sgid"; do
  grep -qxF "$line" "$t/tree-orig" || fail "tree listing lacks: $line; it has: $(grep -F "${line%% *}" "$t/tree-orig")"
done
diff -u "$t/tree-orig" "$t/tree-nojunk" || fail "shrink --no-junk changed the tree"
expect "shrink dropped exactly the junk" "< ./tmp/greeting -rw-r--r-- 65534:65534 ./tmp/greeting
< ./tmp/whoami -rw-r--r-- 65534:65534 ./tmp/whoami
$( (echo "< $(echo 'hello from kiln' | md5sum | cut -c1-32)  ./tmp/greeting"
    echo "< $(echo 65534 | md5sum | cut -c1-32)  ./tmp/whoami") | sort)" \
  "$(diff "$t/tree-orig" "$t/tree-shrunk" | grep '^[<>]')"
docker_clean
echo PASS
