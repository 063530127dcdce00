#!/usr/bin/env bash
# Issue 12 item 16: with --progress plain every line a RUN step prints carries the step's
# prefix, also when several lines arrive in one chunk of output.
source "$(dirname "$0")/linux_run_lib.sh"

make_context "$t/ctx" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "x=OUT; printf '%s-one\n%s-two\n%s-three\n' $x $x $x"]
DF
kiln build --platform linux/amd64 "$t/ctx" > "$t/out" 2> "$t/err" || { cat "$t/err"; fail "build"; }
# One printf: the three lines reach kiln as one chunk. (The words are not in the command text,
# which is part of the prefix.)
for word in OUT-one OUT-two OUT-three; do
  line=$(grep -- "$word\$" "$t/err" || true)
  [ -n "$line" ] || { cat "$t/err"; fail "no line with $word"; }
  [[ "$line" == *" | $word" ]] || { cat "$t/err"; fail "\"$word\" without the step prefix: $line"; }
  prefixes+=("${line% | *}")
done
[ "${prefixes[0]}" = "${prefixes[1]}" ] && [ "${prefixes[1]}" = "${prefixes[2]}" ] ||
  fail "different prefixes: ${prefixes[*]}"
[ -n "${prefixes[0]}" ] || fail "an empty prefix"

# Issue 19: a RUN step that is silent for a while gets a periodic line with its elapsed time
# between its output lines (and one start and one done line).
make_context "$t/ctx2" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo BEFORE; /bin/busybox sleep 7; echo AFTER"]
DF
kiln build --platform linux/amd64 "$t/ctx2" > "$t/out2" 2> "$t/err2" || { cat "$t/err2"; fail "build 2"; }
run=$(grep -F 'RUN ["/bin/busybox", "sh", "-c", "echo BEFORE' "$t/err2")
echo "$run"
before=$(grep -n ' | BEFORE$' <<<"$run" | cut -d: -f1)
after=$(grep -n ' | AFTER$' <<<"$run" | cut -d: -f1)
[ -n "$before" ] && [ -n "$after" ] || fail "RUN output lines missing"
periodic=$(sed -n "$((before + 1)),$((after - 1))p" <<<"$run")
grep -Eq ': [0-9]+\.[0-9]s$' <<<"$periodic" || fail "no periodic elapsed line while the RUN was silent"
[ "$(grep -c ' \.\.\.$' <<<"$run")" = 1 ] && [ "$(grep -c ': done' <<<"$run")" = 1 ] ||
  fail "not one start and one done line"
check_nothing_left "plain progress build"
echo "PASS: every output line carries \"${prefixes[0]} | \"; a silent RUN gets periodic lines"
