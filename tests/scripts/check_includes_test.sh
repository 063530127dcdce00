#!/usr/bin/env bash
# The include-direction checker must fail on a breach (so the architecture test can fail).
set -euo pipefail
src=${KILN_SOURCE_DIR:?}
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t"/{core,parser,layers,registry,builder,cli}
echo '#include "builder/build_graph.h"' > "$t/parser/bad.h"
if python3 "$src/scripts/check_includes.py" "$t" > "$t/out"; then echo "breach not detected"; exit 1; fi
grep -q "parser/ must not include builder/build_graph.h" "$t/out"
echo '#include <curl/curl.h>' > "$t/parser/bad.h"
if python3 "$src/scripts/check_includes.py" "$t" > "$t/out"; then echo "curl outside registry not detected"; exit 1; fi
echo '#include "core/error.h"' > "$t/parser/bad.h"
python3 "$src/scripts/check_includes.py" "$t"
