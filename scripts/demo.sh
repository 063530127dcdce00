#!/usr/bin/env bash
# make demo: kiln's main job on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=${1:-build/kiln}
"$kiln" --version
