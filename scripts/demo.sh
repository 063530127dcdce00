#!/usr/bin/env bash
# make demo: kiln's main job on the bundled sample. Builds samples/hello-nanoserver (an app
# COPY'd onto Nano Server) on this host, offline, against the synthetic Nano Server stand-in in
# samples/bases (on a machine with network, drop --build-context to use mcr.microsoft.com), then
# shows the image: name, digest, platform and layer table.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=${1:-build/kiln}
root=${KILN_DEMO_ROOT:-build/demo-store}
"$kiln" --version
set -x
"$kiln" --root "$root" --progress plain build -t hello-nanoserver:demo \
  --build-context mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://samples/bases/nanoserver:ltsc2022 \
  samples/hello-nanoserver
"$kiln" --root "$root" inspect hello-nanoserver:demo
