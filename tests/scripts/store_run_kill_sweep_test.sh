#!/usr/bin/env bash
# After kill -9 during a RUN step, the next command that opens the store, even a fully cached
# build or `kiln prune`, stops the orphaned container and removes its mounts and active
# snapshot (issue 12 item 9).
source "$(dirname "$0")/linux_run_lib.sh"

# kill_when CMD-OUTPUT-FILE PATTERN PID: kill -9 PID once the file shows PATTERN (or fail). PID
# must be kiln itself: start it as "$kiln_bin", since `kiln ... &` would fork a subshell.
kill_when() {
  local log=$1 pattern=$2 pid=$3
  for _ in $(seq 1 600); do grep -qs "$pattern" "$log" && break; sleep 0.05; done
  grep -q "$pattern" "$log" || { kill -KILL "$pid"; cat "$log"; fail "never saw: $pattern"; }
}

# kill -9 during RUN; the next command (a fully cached build, then prune) sweeps it.
make_context "$t/base" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
DF
kiln build -t localhost/bb:base "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "base"; }
printf 'FROM localhost/bb:base\nRUN echo started; sleep 600\n' | make_context "$t/sleep"
check_swept() {
  local what=$1 active
  check_nothing_left "$what"
  active=$(ls -A "$store/snapshots/active" 2> /dev/null || true)
  [ -z "$active" ] || fail "$what: active snapshots left: $active"
}
for sweeper in "cached build" prune; do
  "$kiln_bin" --root "$store" --progress plain build "$t/sleep" > "$t/run.log" 2>&1 &
  pid=$!
  kill_when "$t/run.log" "| started" "$pid"
  kill -KILL "$pid"
  wait "$pid" 2> /dev/null || true
  [ -n "$(runc --root "$runc_state" list -q)" ] || fail "no orphaned container (the test would prove nothing)"
  if [ "$sweeper" = prune ]; then
    kiln prune > "$t/log" 2>&1 || { cat "$t/log"; fail "prune after kill -9 during RUN"; }
  else
    kiln build -t localhost/bb:base "$t/base" > "$t/log" 2>&1 || { cat "$t/log"; fail "cached build"; }
    grep -q "RUN.*: cached" "$t/log" || { cat "$t/log"; fail "the build was not fully cached"; }
  fi
  check_swept "after kill -9 during RUN and a $sweeper"
done

echo ok
