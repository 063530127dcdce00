#!/usr/bin/env bash
# Front-end benchmark: parses a generated 10,000-instruction Dockerfile (mixed instructions,
# continuation lines, heredocs, exec and shell forms, a backtick escape) with `kiln parse`.
# Times --json (text -> AST -> typed instructions -> JSON) and --dump (AST only) in one
# hyperfine run, then peak RSS with /usr/bin/time -v. No Dockerfile parser ships in Debian, so
# there is no peer command here; docker/buildx would need a daemon. Results go to bench/out/.
# Usage: bench/parse_bench.sh [path/to/kiln] [instructions]
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=$(realpath "${1:-build/kiln}")
count=${2:-10000}
mkdir -p bench/work bench/out
df=bench/work/parse-$count.Dockerfile

python3 - "$count" > "$df" <<'PY'
import sys
n = int(sys.argv[1])
out = ["# escape=`", "ARG BASE=mcr.microsoft.com/windows/nanoserver:ltsc2022", "FROM busybox:1.36 AS build"]
i = 0
def emit(lines):
    global i
    out.extend(lines)
    i += 1
while i < n - 2:
    k = i % 12
    if k == 0: emit([f"RUN echo step {i} `", f"    && mkdir -p /out/{i} `", f"    && touch /out/{i}/f"])
    elif k == 1: emit([f"ENV VAR_{i}=value_{i} OTHER_{i}=\"quoted value {i}\""])
    elif k == 2: emit([f"COPY --chown=1000:1000 --chmod=644 src/{i}.txt /dst/{i}.txt"])
    elif k == 3: emit([f"LABEL com.example.step{i}=\"label {i}\" `", f"      com.example.more{i}=x"])
    elif k == 4: emit([f"RUN --mount=type=cache,target=/cache/{i},id=c{i} [\"sh\", \"-c\", \"echo {i}\"]"])
    elif k == 5: emit([f"COPY <<EOF{i} /etc/conf-{i}", f"key={i}", f"value=$VAR_{i - 4}", f"EOF{i}"])
    elif k == 6: emit([f"WORKDIR /work/{i}"])
    elif k == 7: emit([f"ARG A{i}=default-{i}"])
    elif k == 8: emit(["# a comment between instructions", f"EXPOSE {8000 + i % 1000}/tcp"])
    elif k == 9: emit([f"RUN <<-SCRIPT{i}", "\tset -e", f"\techo heredoc {i}", f"SCRIPT{i}"])
    elif k == 10: emit([f"USER {1000 + i % 100}"])
    else: emit([f"ADD --checksum=sha256:{i:064x} https://example.com/f{i}.tgz /opt/f{i}.tgz"])
out.append("FROM ${BASE}")
out.append("COPY --from=build /out C:\\out")
print("\n".join(out))
PY

lines=$(wc -l < "$df")
echo "parse_bench: $df: $count instructions, $lines lines, $(wc -c < "$df") bytes"
echo "load: $(uptime)"
"$kiln" parse --json -f "$df" > bench/work/parse.json
echo "JSON output: $(wc -c < bench/work/parse.json) bytes"

hyperfine --warmup 2 --runs 15 --export-json bench/out/parse_bench.json \
  -n "kiln parse --json" "'$kiln' parse --json -f '$df' > /dev/null" \
  -n "kiln parse --dump" "'$kiln' parse --dump -f '$df' > /dev/null"

for mode in --json --dump; do
  /usr/bin/time -v "$kiln" parse "$mode" -f "$df" 2> bench/work/time.txt > /dev/null
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' bench/work/time.txt)
  echo "peak RSS kiln parse $mode: ${rss} KiB"
done
echo "load after: $(uptime)"
