#!/usr/bin/env bash
# Partial files of SIGKILLed builds and pulls do not pile up in <root>/tmp until prune (issue 12
# item 7): after 3 builds killed with SIGKILL while writing a layer and one successful build,
# tmp/ holds no orphan; the same after pulls from a local docker-registry killed while writing
# the blob, and one `kiln images`.
source "$(dirname "$0")/linux_run_lib.sh"

# kill_when CMD-OUTPUT-FILE PATTERN PID: kill -9 PID once the file shows PATTERN (or fail). PID
# must be kiln itself: start it as "$kiln_bin", since `kiln ... &` would fork a subshell.
kill_when() {
  local log=$1 pattern=$2 pid=$3
  for _ in $(seq 1 600); do grep -qs "$pattern" "$log" && break; sleep 0.05; done
  grep -q "$pattern" "$log" || { kill -KILL "$pid"; cat "$log"; fail "never saw: $pattern"; }
}

mkdir -p "$t/big"
head -c $((96 << 20)) /dev/urandom > "$t/big/big.bin"
printf 'FROM scratch\nCOPY big.bin /big.bin\n' > "$t/big/Dockerfile"
# --- 7: SIGKILLed builds leave partial blobs; the next successful build removes them.
for n in 1 2 3; do
  "$kiln_bin" --root "$store" --progress plain build -t localhost/big:1 --compression-level 9 "$t/big" > "$t/kill$n.log" 2>&1 &
  pid=$!
  kill_when "$t/kill$n.log" "COPY big.bin" "$pid"
  # Kill once the layer's partial blob is in tmp/ (polling, not a fixed sleep: under load the
  # build may take seconds to get there, and a kill before it proves nothing).
  for _ in $(seq 1 600); do [ -n "$(ls -A "$store/tmp" 2> /dev/null)" ] && break; sleep 0.05; done
  kill -KILL "$pid"
  wait "$pid" 2> /dev/null || true
done
left=$(ls -A "$store/tmp")
[ -n "$left" ] || fail "the killed builds left nothing in tmp/ (the test would prove nothing)"
echo "after 3 killed builds, tmp/ holds: $left"
kiln build -t localhost/big:1 --compression-level 1 "$t/big" > "$t/log" 2>&1 || { cat "$t/log"; fail "build after the kills"; }
left=$(ls -A "$store/tmp")
[ -z "$left" ] || fail "orphans of killed builds left in tmp/ after a successful build: $left"


# The same for pulls: pulls SIGKILLed while a blob is being written, then any command.
start_registry
kiln push localhost/big:1 "$reg/big:1" > "$t/log" 2>&1 || { cat "$t/log"; fail "push"; }
pull_store=$t/pullstore
kills=0
for _ in $(seq 1 10); do
  "$kiln_bin" --root "$pull_store" --progress plain pull "$reg/big:1" > "$t/pull.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 4000); do [ -n "$(ls -A "$pull_store/tmp" 2> /dev/null)" ] && break; done
  kill -KILL "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  if [ -n "$(ls -A "$pull_store/tmp" 2> /dev/null)" ]; then kills=$((kills + 1)); fi
  [ "$kills" -ge 3 ] && break
  "$kiln_bin" --root "$pull_store" rmi "$reg/big:1" > /dev/null 2>&1 || true  # finished: again
done
[ "$kills" -ge 1 ] || fail "no pull was killed while writing (the test would prove nothing)"
echo "after $kills killed pulls, tmp/ holds: $(ls -A "$pull_store/tmp")"
"$kiln_bin" --root "$pull_store" images > /dev/null || fail "kiln images after the killed pulls"
left=$(ls -A "$pull_store/tmp")
[ -z "$left" ] || fail "orphans of killed pulls left in tmp/ after the next command: $left"
echo ok
