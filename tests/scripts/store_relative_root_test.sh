#!/usr/bin/env bash
# A relative --root works for RUN steps too: the store keeps its root absolute (the overlay is
# mounted from a child process that changes its working directory).
source "$(dirname "$0")/linux_run_lib.sh"
make_context "$t/ctx" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo ran > /ran"]
DF
(cd "$t" && "$kiln_bin" --root relstore --progress plain build -t localhost/rel:1 ctx) > "$t/log" 2>&1 ||
  { cat "$t/log"; fail "a build with a RUN step and --root relstore"; }
"$kiln_bin" --root "$t/relstore" images | grep -q "^localhost/rel " || fail "no image in $t/relstore"
runc_state=$t/relstore/runc/state check_nothing_left "relative root"
echo ok
