#!/usr/bin/env bash
# Installs every Debian package kiln needs to build, test and benchmark (see README, "Dependencies").
# Idempotent: only missing packages are installed. Not root: prints the exact command instead.
set -euo pipefail

build_pkgs=(cmake ninja-build g++ pkg-config make
  libarchive-dev libzstd-dev libssl-dev zlib1g-dev libisal-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev catch2)
test_pkgs=(python3 python3-jsonschema docker-registry skopeo umoci runc busybox-static apache2-utils openssl
  libarchive-tools tar zstd isal xxd curl util-linux iproute2 docker.io tmux
  chromium  # analyze_html_test.sh renders the --html report headless
  clang-19 libclang-rt-19-dev g++-mingw-w64-x86-64
  nasm dpkg-dev libz-mingw-w64-dev wine wine64)  # windows_deps.sh, windows_check.sh
bench_pkgs=(hyperfine time buildah)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "kiln setup: missing Debian packages: ${missing[*]}" >&2
  echo "run as root:  $cmd" >&2
  exit 1
fi
echo "kiln setup: installing ${missing[*]}" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
