#!/usr/bin/env bash
# make bench: runs every bench/*_bench.sh with the kiln binary. Numbers are preliminary on a
# shared machine: each script prints the load (uptime) next to its results.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=${1:-build/kiln}
status=0
for b in bench/*_bench.sh; do
  echo "== $b"
  "$b" "$kiln" || status=1
done
exit $status
