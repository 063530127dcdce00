#!/usr/bin/env bash
# `kiln prune` collects unpacked parent layers (<root>/snapshots/layers) that no image needs:
# after `rmi` of every image and prune, snapshots/ holds nothing (issue 12 item 8).
source "$(dirname "$0")/linux_run_lib.sh"

make_context "$t/base" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo one > /one
DF
kiln build -t localhost/bb:two "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "base"; }
printf 'FROM localhost/bb:two\nRUN echo three > /three\n' | make_context "$t/three"
kiln build -t localhost/bb:three "$t/three" > "$t/log" 2>&1 || { cat "$t/log"; fail "three"; }
needed=$(ls "$store/snapshots/layers" | sort)  # the parents of three's RUN
printf 'FROM localhost/bb:two\nRUN echo x > /x\nRUN echo y > /y\n' | make_context "$t/other"
kiln build -t localhost/bb:other "$t/other" > "$t/log" 2>&1 || { cat "$t/log"; fail "other"; }
[ "$(ls "$store/snapshots/layers" | wc -l)" = $(( $(echo "$needed" | wc -l) + 1 )) ] ||
  fail "building other did not unpack exactly one more layer"
# Prune with localhost/bb:three still named keeps its layers unpacked and collects the layer
# only the removed image had.
kiln rmi --no-prune localhost/bb:two localhost/bb:other > /dev/null || fail "rmi two, other"
kiln prune > "$t/log" 2>&1 || { cat "$t/log"; fail "prune with an image left"; }
after=$(ls "$store/snapshots/layers" 2> /dev/null | sort)
[ "$needed" = "$after" ] || fail "prune with localhost/bb:three named: unpacked layers $after, not $needed"
# with every image removed, prune leaves nothing in snapshots/.
[ -n "$(ls -A "$store/snapshots/layers")" ] || fail "nothing unpacked (the test would prove nothing)"
for name in $(kiln images | awk 'NR > 1 { print $1 ":" $2 }'); do
  kiln rmi --no-prune "$name" > /dev/null || fail "rmi $name"
done
kiln prune > "$t/log" 2>&1 || { cat "$t/log"; fail "prune"; }
left=$(find "$store/snapshots" -mindepth 1 2> /dev/null | head -5 || true)
[ -z "$left" ] || fail "snapshots/ after rmi of every image and prune: $left"
left=$(ls -A "$store/tmp")
[ -z "$left" ] || fail "tmp/ after prune: $left"
check_nothing_left "prune"
echo ok
