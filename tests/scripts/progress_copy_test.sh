#!/usr/bin/env bash
# Issue 19 (Must show 1): live progress of a long COPY. A generated context (12,000 files,
# ~400 MiB that do not compress, under /tmp, removed afterwards) is built at gzip level 9
#  1. with --progress tty inside tmux (a real pseudo-terminal): two captures of the screen
#     taken mid-COPY both show files done/total, bytes done/total and a rate, and the numbers
#     differ between them; then Ctrl-C stops the build (exit 130);
#  2. with --progress plain (a 200 MiB part, default level): the COPY step has one start line, one done line
#     and, when it took over 5 s, periodic lines with files, bytes and rate; no terminal escapes;
#  3. with --progress json: progress events carry the numbers (items, items_total, current,
#     total, phase, elapsed).
set -euo pipefail
kiln=$(realpath "$1")
command -v tmux >/dev/null || { echo "kiln-skip: tmux is not installed (scripts/setup.sh test)"; exit 77; }
t=$(mktemp -d /tmp/kiln-progress.XXXXXX)
sock=kiln-progress-$$
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 - "$t/ctx" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):  # 10,000 small files
    os.makedirs(f"{root}/small/{d:03}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/small/{d:03}/{f:03}.txt", "w") as fh:
            fh.write(f"file {d} {f}\n" * 20)
os.makedirs(f"{root}/big", exist_ok=True)
for f in range(2000):  # 2,000 files of 200 KiB that do not compress
    with open(f"{root}/big/{f:04}.bin", "wb") as fh:
        fh.write(os.urandom(200 * 1024))
PY
printf 'FROM scratch\nCOPY . /data/\n' > "$t/ctx/Dockerfile"
printf 'FROM scratch\nCOPY small big/0* /data/\n' > "$t/ctx/Dockerfile.plain"
printf 'FROM scratch\nCOPY small big/00* /data/\n' > "$t/ctx/Dockerfile.json"
# zlib's level 9 on bytes that do not compress: slow enough on any machine for a long step.
build=(build --compression-level 9)

# 1. A terminal.
tmux -L "$sock" new-session -d -x 150 -y 30 \
  "'$kiln' --root '$t/store-tty' --progress tty ${build[*]} '$t/ctx'; echo KILN-EXIT=\$? > '$t/tty-exit'; sleep 600"
numbers='([0-9]+)/([0-9]+) files +([0-9.]+ [KMGT]?i?B) / ([0-9.]+ [KMGT]?i?B) +([0-9.]+ [KMGT]?i?B)/s'
capture() { tmux -L "$sock" capture-pane -p -t 0 | grep -E "COPY \. /data/.*$numbers" | head -1 || true; }
first="" second=""
for _ in $(seq 600); do  # up to 60 s
  [ -e "$t/tty-exit" ] && break
  line=$(capture)
  if [ -n "$line" ]; then
    if [ -z "$first" ]; then
      first=$line
      sleep 1
    elif [ "$line" != "$first" ]; then
      second=$line
      break
    fi
  fi
  sleep 0.1
done
echo "capture 1: $first"
echo "capture 2: $second"
[ -n "$first" ] || { tmux -L "$sock" capture-pane -p -t 0; fail "no files/bytes/rate line on the terminal mid-COPY"; }
[ -n "$second" ] || { tmux -L "$sock" capture-pane -p -t 0; fail "the COPY line did not change (or the build ended first)"; }
python3 - "$first" "$second" <<'PY' || fail "the numbers did not advance between the captures"
import re, sys
units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
def parse(line):
    m = re.search(r"(\w[\w ]*?) ?([0-9]+)/([0-9]+) files +([0-9.]+) (\w+) / ([0-9.]+) (\w+) +([0-9.]+) (\w+)/s", line)
    phase, done, total, b, bu, tb, tbu = m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4)), m.group(5), float(m.group(6)), m.group(7)
    return phase.split()[-1], done, total, b * units[bu], tb * units[tbu]
a, b = parse(sys.argv[1]), parse(sys.argv[2])
print("first:", a, "second:", b)
assert a[2] == b[2] and a[2] >= 12000, "total files"
# Later in the same phase: more done; or a later phase (hashing -> writing layer).
sys.exit(0 if (a[0] != b[0]) or (b[1] > a[1] or b[3] > a[3]) else 1)
PY
tmux -L "$sock" send-keys -t 0 C-c
for _ in $(seq 300); do [ -e "$t/tty-exit" ] && break; sleep 0.1; done
grep -q "KILN-EXIT=130" "$t/tty-exit" || fail "Ctrl-C during the COPY: $(cat "$t/tty-exit" 2>/dev/null)"
tmux -L "$sock" kill-server 2>/dev/null || true

# 2. Plain lines (11,000 files, 200 MiB).
"$kiln" --root "$t/store-plain" --progress plain build -f "$t/ctx/Dockerfile.plain" "$t/ctx" > /dev/null 2> "$t/plain.err" ||
  { cat "$t/plain.err"; fail "plain build"; }
grep -q $'\x1b' "$t/plain.err" && fail "terminal escapes in plain output"
copy=$(grep -F "[stage-0 1/1] COPY small big/0* /data/" "$t/plain.err")
echo "$copy"
[ "$(grep -c ' \.\.\.$' <<<"$copy")" = 1 ] || fail "not one start line"
[ "$(grep -c ': done' <<<"$copy")" = 1 ] || fail "not one done line"
# A periodic line every 5 s: there is one when the step took longer than that.
secs=$(sed -n 's/.*: done (.* in \([0-9]*\)\.[0-9]s)$/\1/p' <<<"$copy")
if [ "${secs:-0}" -ge 6 ]; then
  grep -Eq "files .*B / .*B/s" <<<"$copy" || fail "no periodic line with files, bytes and rate"
else
  echo "note: the COPY took ${secs}s, too short for a periodic line"
fi
[ "$(tail -1 <<<"$copy" | grep -c ': done')" = 1 ] || fail "the done line is not the last"

# 3. JSON events with numbers (a smaller COPY: 10,100 files, 20 MiB).
"$kiln" --root "$t/store-json" --progress json build -f "$t/ctx/Dockerfile.json" "$t/ctx" > /dev/null 2> "$t/json.err" ||
  { cat "$t/json.err"; fail "json build"; }
python3 - "$t/json.err" <<'PY' || fail "json progress events"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
copy = [e for e in events if "COPY small" in e.get("label", "")]
kinds = [e["kind"] for e in copy]
assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("start") == 1, kinds
progress = [e for e in copy if e["kind"] == "progress"]
assert progress, "no progress events"
p = progress[-1]
for k in ("items", "items_total", "current", "total", "phase", "elapsed"):
    assert k in p, (k, p)
assert p["items_total"] >= 10100 and p["total"] > 20_000_000, p
print(f"{len(progress)} progress events, last: {p}")
PY
echo "PASS: the COPY line changed on the terminal; plain and json carry the same numbers"
