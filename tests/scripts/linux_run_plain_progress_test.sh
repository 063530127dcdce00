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
check_nothing_left "plain progress build"
echo "PASS: every output line carries \"${prefixes[0]} | \""
