#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/*_fuzz.cc) with clang-19 + ASan + UBSan in
# build-fuzz/ and runs each for SECONDS (default 60). Seeds: every "// fuzz-seeds: DIR" line of a
# harness (DIR relative to the repo root; $SHARED = ../shared; a missing one is warned about).
# Fails on any crash or report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shared=${KILN_SHARED_DIR:-$(cd .. && pwd)/shared}
[ -d "$shared" ] || shared=$(cd ../.. && pwd)/shared  # from a worktree (/work/wt/<name>)
shopt -s nullglob
harnesses=(tests/fuzz/*_fuzz.cc)
if ((${#harnesses[@]} == 0)); then echo "fuzz: no harnesses"; exit 0; fi
cmake -S . -B build-fuzz -G Ninja -DKILN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
cmake --build build-fuzz --target fuzz_all
status=0
for src in "${harnesses[@]}"; do
  name=$(basename "$src" .cc)
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=()
  while read -r dir; do
    dir=${dir//\$SHARED/$shared}
    if [ -e "$dir" ]; then
      seeds+=("$dir")
    else
      echo "fuzz: WARNING: $name: seed folder $dir does not exist; fuzzing without it" >&2
    fi
  done < <(sed -n 's|^// fuzz-seeds: *||p' "$src")
  # Seed directories may nest (conformance cases): flatten files into the corpus once.
  for d in "${seeds[@]}"; do
    find "$d" -type f -size -64k -print0 | while IFS= read -r -d '' f; do
      cp "$f" "$corpus/seed-$(sha1sum "$f" | cut -c1-16)"
    done
  done
  echo "fuzz: $name for ${seconds}s ($(ls "$corpus" | wc -l) inputs in corpus)"
  if ! build-fuzz/fuzz/"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=build-fuzz/"$name"- "$corpus" \
        > build-fuzz/"$name".log 2>&1; then
    echo "fuzz: $name FAILED; see build-fuzz/$name.log"; tail -40 build-fuzz/"$name".log; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/"$name".log | tr '\n' ' '; echo
  fi
done
exit $status
