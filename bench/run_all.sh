#!/usr/bin/env bash
# Runs every benchmark script in bench/ (each takes the kiln binary as $1).
set -euo pipefail
cd "$(dirname "$0")"
kiln=$(realpath "${1:-../build/kiln}")
for b in *.sh; do
  [ "$b" = run_all.sh ] && continue
  echo "== bench/$b"
  "./$b" "$kiln"
done
