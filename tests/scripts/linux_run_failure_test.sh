#!/usr/bin/env bash
# Must show 2 of RUN on Linux: a non-zero exit, a missing shell and a timeout each fail the
# build with a clear error (the command, the exit code or the time limit, the last 20 lines of
# output, located at the RUN) and, like Ctrl-C during a step, leave no mount (findmnt), no runc
# container (runc list), no bundle and an unchanged store.
source "$(dirname "$0")/linux_run_lib.sh"

# Set-up: a busybox base and an image without a shell, each already used once by a RUN (so
# their layers are in the unpack cache and a failing build has nothing new to keep).
make_context "$t/base" < "$src/samples/linux-busybox/Dockerfile"
kiln build --target base -t localhost/bb:base "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "base"; }
make_context "$t/noshell" <<'DF'
FROM scratch
COPY busybox /bin/busybox
DF
kiln build -t localhost/bb:noshell "$t/noshell" > "$t/log" 2>&1 || { cat "$t/log"; fail "noshell"; }
for img in base noshell; do
  printf 'FROM localhost/bb:%s\nRUN ["/bin/busybox", "true"]\n' "$img" |
    make_context "$t/warm-$img"
  kiln build "$t/warm-$img" > "$t/log" 2>&1 || { cat "$t/log"; fail "warm $img"; }
done
store_listing "$t/before"

# build NAME [kiln build flags...] < Dockerfile: must fail; its messages end up in $t/NAME.err.
expect_failure() {
  local name=$1 rc=0
  shift
  make_context "$t/$name"
  kiln build "$@" "$t/$name" > "$t/$name.out" 2> "$t/$name.err" || rc=$?
  [ "$rc" -ne 0 ] || fail "$name: the build succeeded"
  check_nothing_left "$name"
  store_listing "$t/after"
  diff -u "$t/before" "$t/after" || fail "$name: the store changed"
  # The error kiln ends with (the progress lines before it stream the same output).
  awk 'index($0, "Dockerfile:") == 1 { n = NR } { l[NR] = $0 }
    END { for (i = n; i <= NR && n; i++) print l[i] }' "$t/$name.err" > "$t/$name.msg"
}

expect_failure exit <<'DF'
FROM localhost/bb:base
RUN for i in $(seq 1 30); do echo "line $i"; done; echo oops >&2; exit 3
DF
grep -q '^Dockerfile:2:1: RUN /bin/sh -c .* (stage 0) failed with exit code 3' "$t/exit.msg" ||
  { cat "$t/exit.err"; fail "exit: no located command and exit code"; }
# 31 lines, stdout and stderr read from two pipes (their order is not fixed): the last 20.
grep -q 'last 20 lines of output' "$t/exit.msg" || fail "exit: no output tail"
[ "$(grep -c '^  | ' "$t/exit.msg")" = 20 ] || fail "exit: not 20 lines of output"
grep -q '^  | line 30$' "$t/exit.msg" || fail "exit: the last line is missing"
! grep -q '^  | line 10$' "$t/exit.msg" || fail "exit: more than the last 20 lines"
grep -q '| oops$' "$t/exit.err" || fail "exit: stderr was not streamed"

expect_failure noshell <<'DF'
FROM localhost/bb:noshell
RUN echo hi
DF
grep -q '^Dockerfile:2:1: .*cannot start the command.*/bin/sh' "$t/noshell.msg" ||
  { cat "$t/noshell.err"; fail "noshell: no clear error"; }

start=$(date +%s)
expect_failure timeout --timeout 2 <<'DF'
FROM localhost/bb:base
RUN echo started; sleep 60
DF
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 30 ] || fail "timeout: the step was not stopped in time (${elapsed}s)"
grep -q '^Dockerfile:2:1: .*timed out after 2s' "$t/timeout.msg" ||
  { cat "$t/timeout.err"; fail "timeout: no clear error"; }
grep -q '| started$' "$t/timeout.msg" || fail "timeout: output tail missing"

# Ctrl-C while a step runs: kiln stops it, exits 130 and leaves nothing either.
printf 'FROM localhost/bb:base\nRUN echo started; sleep 60\n' | make_context "$t/interrupt"
"$kiln_bin" --root "$store" --progress plain build "$t/interrupt" > "$t/interrupt.err" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q '| started' "$t/interrupt.err" && break; sleep 0.1; done
grep -q '| started' "$t/interrupt.err" || { kill -KILL "$pid"; fail "interrupt: the step never started"; }
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$t/interrupt.err"; fail "interrupt: exit code $rc, not 130"; }
check_nothing_left "interrupt"
store_listing "$t/after"
diff -u "$t/before" "$t/after" || fail "interrupt: the store changed"

cat "$t/noshell.msg" "$t/timeout.msg"
echo "ok"
