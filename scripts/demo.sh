#!/usr/bin/env bash
# make demo: kiln's front end on the bundled samples (until `kiln build` exists): a summary of
# each sample for its Windows target (stages, base images after ARG expansion, .dockerignore),
# then BuildKit's AST dump of the multi-stage sample.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=${1:-build/kiln}
"$kiln" --version
for sample in samples/*/; do
  echo
  echo "\$ kiln parse --platform windows/amd64:10.0.20348 $sample"
  "$kiln" parse --platform windows/amd64:10.0.20348 "$sample"
done
echo
echo "\$ kiln parse --platform windows/amd64:10.0.17763 samples/multi-version/"
"$kiln" parse --platform windows/amd64:10.0.17763 samples/multi-version/
echo
echo "\$ kiln parse --dump -f samples/multistage/Dockerfile"
"$kiln" parse --dump -f samples/multistage/Dockerfile
