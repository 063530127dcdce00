#!/usr/bin/env bash
# `make windows-deps`: builds the libraries kiln links, for Windows (x86_64-w64-mingw32, static),
# from Debian 12's own source packages (`apt-get source`, Debian's patches applied), into a cache
# outside the checkout:
#
#   ${KILN_WINDEPS_CACHE:-/var/cache/kiln/windeps}/<key>/{include,lib,share,toolchain.cmake}
#
# <key> is a hash of this script's bytes, the source package versions apt offers, the versions of
# the Debian packages taken as they are (libz-mingw-w64-dev, libcli11-dev, nlohmann-json3-dev) and
# the compilers, so a rerun with nothing changed is instant and any change rebuilds into a new
# directory. `<key>/manifest.txt` records the versions actually built. Prints the prefix on stdout
# (progress goes to stderr), so callers do `prefix=$(scripts/windows_deps.sh)`.
#
# What is built, and how:
#   zlib      Debian's libz-mingw-w64-dev (already a mingw build); libz.a and headers copied.
#   OpenSSL   `Configure mingw64 no-shared no-tests no-autoload-config`, libraries and headers
#             only (no apps); its compiled-in config/engine/module paths stay OpenSSL's admin-only
#             Windows defaults under C:\Program Files (see build_openssl).
#   zstd      its CMake build, static library only.
#   ISA-L     Makefile.unx with arch=mingw, assembled by nasm (the Makefile's default is yasm).
#   libarchive  with no optional library at all: kiln has its own tar codec and calls no
#             libarchive function today (grep 'archive.h' finds nothing); it is built only because
#             the CMake build still finds it. Drop it here when CMakeLists.txt drops it.
#   curl      HTTP(S) only, static, **OpenSSL backend** rather than Schannel, because
#             registry/curl_transport.cc adds certs.d CA files to the trust store through
#             CURLOPT_SSL_CTX_FUNCTION (OpenSSL's SSL_CTX; Schannel has no equivalent in curl 7.88)
#             and passes client certificates as PEM files (Schannel wants a PFX or a store
#             entry); one TLS stack also means the TLS behaviour tested on Linux is the one shipped.
#             Trust from the Windows certificate store stays possible with OpenSSL: curl's
#             CURLSSLOPT_NATIVE_CA (7.71+) reads it. No CA bundle path is compiled in, and curl
#             does not auto-load an openssl.cnf (CURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG).
#   CLI11, nlohmann/json  header-only: copied from the host's /usr/include and /usr/share/cmake.
#
# Needs root only to add a deb-src entry when apt has none (written to
# /etc/apt/sources.list.d/kiln-deb-src.sources, then `apt-get update`). When a version in apt's
# index cannot be downloaded (a mirror behind its index), the next older one is used and the
# manifest says so. Every compile runs under `nice -n 19`. A failed build keeps its work folder
# and the libraries finished so far; the next run resumes at the library that failed.
#
# Usage: scripts/windows_deps.sh [--key]     (--key: print the cache key and exit; no build)
# Env: KILN_WINDEPS_CACHE, JOBS (default 2), KILN_WINDEPS_CCACHE (default 1 when ccache exists).
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

TRIPLE=x86_64-w64-mingw32
CC=$TRIPLE-gcc-posix
CXX=$TRIPLE-g++-posix
CACHE=${KILN_WINDEPS_CACHE:-/var/cache/kiln/windeps}
JOBS=${JOBS:-2}
SOURCES=(openssl libzstd libisal libarchive curl)   # Debian source package names
AS_IS=(libz-mingw-w64-dev libcli11-dev nlohmann-json3-dev mingw-w64-x86-64-dev nasm)

log() { echo "windows-deps: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in "$CC" "$CXX" $TRIPLE-ar $TRIPLE-ranlib $TRIPLE-windres nasm cmake ninja perl \
            apt-get dpkg-source; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh test installs it)"
done
launcher=""
if [[ ${KILN_WINDEPS_CCACHE:-1} == 1 ]] && command -v ccache >/dev/null; then launcher=ccache; fi

# apt needs a deb-src entry for bookworm to list and fetch source packages.
ensure_deb_src() {
  if [[ $(apt-cache showsrc zlib 2>/dev/null) == *$'\nVersion: '* ]]; then return; fi
  [[ $(id -u) == 0 ]] || die "apt has no deb-src entry; run once as root to add it"
  log "adding deb-src for bookworm (/etc/apt/sources.list.d/kiln-deb-src.sources)"
  cat >/etc/apt/sources.list.d/kiln-deb-src.sources <<'EOF'
# Added by kiln scripts/windows_deps.sh: Debian 12 source packages for the mingw-w64 cross build.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt-get update -qq >&2
}

# Versions of source package $1 that apt knows, newest first (dpkg's ordering).
source_versions() {
  local v sorted=()
  while read -r v; do
    local i=0
    while ((i < ${#sorted[@]})) && dpkg --compare-versions "${sorted[i]}" gt "$v"; do ((++i)); done
    [[ ${sorted[i]:-} == "$v" ]] && continue
    sorted=("${sorted[@]:0:i}" "$v" "${sorted[@]:i}")
  done < <(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p')
  ((${#sorted[@]})) || die "apt knows no source package $1"
  printf '%s\n' "${sorted[@]}"
}

ensure_deb_src
declare -A offered
inputs="script $(sha256sum "$script" | cut -d' ' -f1)"$'\n'
for pkg in "${SOURCES[@]}"; do
  offered[$pkg]=$(source_versions "$pkg" | tr '\n' ' ')
  inputs+="source $pkg ${offered[$pkg]}"$'\n'
done
for pkg in "${AS_IS[@]}"; do
  inputs+="deb $pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || die "$pkg not installed")"$'\n'
done
inputs+="cc $($CC -dumpfullversion) $($CC -dumpmachine)"$'\n'
key=$(sha256sum <<<"$inputs" | cut -c1-16)
if [[ ${1:-} == --key ]]; then echo "$key"; exit; fi

prefix=$CACHE/$key
if [[ -f $prefix/.complete ]]; then
  log "cached: $prefix"
  echo "$prefix"
  exit
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one builder per cache; a second caller waits and then finds the result
if [[ -f $prefix/.complete ]]; then echo "$prefix"; exit; fi
work=$CACHE/.work-$key
mkdir -p "$prefix"/{include,lib/pkgconfig,share} "$work/logs"
printf '%s' "$inputs" >"$prefix/inputs.txt"
touch "$prefix/manifest.txt"
start=$SECONDS

# Fetches and unpacks source package $1 into $work/src (newest version that downloads); echoes
# the unpacked folder.
fetch() {
  local pkg=$1 v
  mkdir -p "$work/src"
  for v in ${offered[$pkg]}; do
    local dir
    dir=$(find "$work/src" -maxdepth 1 -name ".$pkg=$v" -printf '%f' -quit)
    if [[ -n $dir ]]; then cat "$work/src/$dir"; return; fi
    if (cd "$work/src" && apt-get source -q --only-source "$pkg=$v") >"$work/logs/$pkg-fetch.log" 2>&1; then
      local upstream=${v#*:}
      upstream=${upstream%-*}
      local src
      src=$(find "$work/src" -maxdepth 1 -type d -name "$pkg-${upstream}*" -print -quit)
      [[ -n $src ]] || die "apt-get source $pkg=$v left no $pkg-$upstream folder"
      echo "$src" >"$work/src/.$pkg=$v"
      echo "$pkg $v" >>"$prefix/manifest.txt"
      echo "$src"
      return
    fi
    log "$pkg $v could not be fetched (see $work/logs/$pkg-fetch.log); trying an older version"
    rm -f "$work/src/${pkg}_"*
  done
  die "no version of $pkg could be fetched: ${offered[$pkg]}"
}

# Runs step $1 (a function) once: skipped when its stamp exists, log in $work/logs/$1.log.
step() {
  local name=$1 t=$SECONDS
  if [[ -f $prefix/.stamp-$name ]]; then log "$name: already built"; return; fi
  log "$name: building (log: $work/logs/$name.log)"
  # In the background, not in an `if`: bash ignores `set -e` inside a condition.
  ("build_$name") >"$work/logs/$name.log" 2>&1 &
  if ! wait $!; then
    log "$name: FAILED after $((SECONDS - t)) s; last lines of $work/logs/$name.log:"
    tail -n 25 "$work/logs/$name.log" >&2
    exit 1
  fi
  touch "$prefix/.stamp-$name"
  log "$name: done in $((SECONDS - t)) s"
}

write_toolchain() {
  cat >"$prefix/toolchain.cmake" <<EOF
# Generated by kiln scripts/windows_deps.sh: mingw-w64 cross build against this prefix.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $CC)
set(CMAKE_CXX_COMPILER $CXX)
set(CMAKE_RC_COMPILER $TRIPLE-windres)
set(CMAKE_FIND_ROOT_PATH "$prefix" /usr/$TRIPLE)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(OPENSSL_USE_STATIC_LIBS ON)
EOF
}

# CMake configure of a source tree ($1) with extra cache entries. CMake compiles absolute paths,
# so __FILE__ strings would carry this machine's work folder: -ffile-prefix-map drops it.
cmake_configure() {
  local src=$1
  shift
  nice -n 19 cmake -S "$src" -B "$src/build-mingw" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$prefix/toolchain.cmake" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DCMAKE_C_FLAGS="-ffile-prefix-map=$work/src/=" \
    ${launcher:+-DCMAKE_C_COMPILER_LAUNCHER=$launcher} "$@"
}

# cmake_configure, build, install.
cmake_build() {
  cmake_configure "$@"
  nice -n 19 cmake --build "$1/build-mingw" -j "$JOBS"
  nice -n 19 cmake --install "$1/build-mingw"
}

build_zlib() {
  cp /usr/$TRIPLE/include/zlib.h /usr/$TRIPLE/include/zconf.h "$prefix/include/"
  cp /usr/$TRIPLE/lib/libz.a "$prefix/lib/"   # not libz.dll.a: everything links statically
  sed "s|^prefix=.*|prefix=$prefix|" /usr/$TRIPLE/lib/pkgconfig/zlib.pc >"$prefix/lib/pkgconfig/zlib.pc"
  echo "libz-mingw-w64-dev $(dpkg-query -W -f='${Version}' libz-mingw-w64-dev) (Debian binary)" \
    >>"$prefix/manifest.txt"
}

build_openssl() {
  local src
  src=$(fetch openssl)
  cd "$src"
  # The directories OpenSSL compiles in are where kiln.exe would look for openssl.cnf, engines
  # and provider modules at run time, so they must be admin-only Windows paths (OpenSSL's mingw
  # defaults), never this Linux prefix: "/var/cache/..." would mean C:\var\cache\... on the
  # user's drive, which any local user can create. no-autoload-config: no openssl.cnf is read at
  # all unless kiln asks. The libraries and headers are then installed into the prefix.
  # Configure reads CC/AR/RANLIB/RC from the environment (the -posix compiler, as everywhere).
  # (Configure takes only Unix-absolute --prefix/--openssldir, hence the make overrides.)
  CC="${launcher:+$launcher }$CC" AR=$TRIPLE-ar RANLIB=$TRIPLE-ranlib RC=$TRIPLE-windres \
    nice -n 19 perl Configure mingw64 no-shared no-tests no-autoload-config --libdir=lib \
    --prefix="$prefix"
  local win_dirs=(OPENSSLDIR="C:/Program Files/Common Files/SSL"
                  ENGINESDIR="C:/Program Files/OpenSSL/lib/engines-3"
                  MODULESDIR="C:/Program Files/OpenSSL/lib/ossl-modules")
  nice -n 19 make -j "$JOBS" "${win_dirs[@]}" build_libs
  nice -n 19 make "${win_dirs[@]}" install_dev
}

build_zstd() {
  local src
  src=$(fetch libzstd)
  cmake_build "$src/build/cmake" -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
    -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_MULTITHREAD_SUPPORT=ON
}

build_isal() {
  local src hdrs
  src=$(fetch libisal)
  cd "$src"
  hdrs=$(printf 'print: ; @echo $(extern_hdrs)\n' | make -s -f Makefile.unx -f - arch=mingw print 2>/dev/null)
  nice -n 19 make -f Makefile.unx -j "$JOBS" arch=mingw host_cpu=x86_64 AS=nasm \
    CC="${launcher:+$launcher }$CC" AR=$TRIPLE-ar lib isa-l.h
  mkdir -p "$prefix/include/isa-l"
  cp $hdrs include/types.h "$prefix/include/isa-l/"
  cp isa-l.h "$prefix/include/"
  cp bin/isa-l.a "$prefix/lib/libisal.a"
  local version
  version=$(sed -n 's/^Version: //p' "$src/../"libisal_*.dsc | head -1)
  cat >"$prefix/lib/pkgconfig/libisal.pc" <<EOF
prefix=$prefix
Name: libisal
Description: Intel(R) Intelligent Storage Acceleration Library (static, mingw-w64)
Version: ${version%-*}
Libs: -L\${prefix}/lib -lisal
Cflags: -I\${prefix}/include
EOF
}

build_libarchive() {
  local src opt opts=()
  src=$(fetch libarchive)
  for opt in MBEDTLS NETTLE OPENSSL LIBB2 LZ4 LZO LZMA ZSTD ZLIB BZip2 LIBXML2 EXPAT PCREPOSIX \
             LIBGCC CNG TAR CPIO CAT XATTR ACL ICONV TEST; do
    opts+=("-DENABLE_$opt=OFF")
  done
  cmake_configure "$src" "${opts[@]}" -DPOSIX_REGEX_LIB=NONE
  # Its install target also wants the DLL it always builds: build and copy the static one only.
  nice -n 19 cmake --build "$src/build-mingw" -j "$JOBS" --target archive_static
  cp "$src/build-mingw/libarchive/libarchive_static.a" "$prefix/lib/libarchive.a"
  cp "$src/libarchive/archive.h" "$src/libarchive/archive_entry.h" "$prefix/include/"
  local version
  version=$(sed -n 's/^Version: //p' "$src/../"libarchive_*.dsc | head -1)
  cat >"$prefix/lib/pkgconfig/libarchive.pc" <<EOF
prefix=$prefix
Name: libarchive
Description: libarchive without optional libraries (static, mingw-w64)
Version: ${version%-*}
Libs: -L\${prefix}/lib -larchive
Cflags: -I\${prefix}/include -DLIBARCHIVE_STATIC
EOF
}

build_curl() {
  local src
  src=$(fetch curl)
  cmake_build "$src" -DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DCURL_USE_SCHANNEL=OFF \
    -DOPENSSL_ROOT_DIR="$prefix" -DBUILD_CURL_EXE=OFF -DENABLE_MANUAL=OFF -DUSE_LIBIDN2=OFF \
    -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_ZLIB=OFF -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON \
    -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON \
    -DCURL_WINDOWS_SSPI=OFF -DENABLE_UNIX_SOCKETS=OFF
}

build_headers() {
  cp -r /usr/include/CLI /usr/include/nlohmann "$prefix/include/"
  mkdir -p "$prefix/share/cmake"
  cp -r /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json "$prefix/share/cmake/"
  local p
  for p in libcli11-dev nlohmann-json3-dev; do
    echo "$p $(dpkg-query -W -f='${Version}' $p) (Debian headers)" >>"$prefix/manifest.txt"
  done
}

# Nothing built may carry a path of this machine: kiln.exe would read it as a path on the user's
# current drive (C:\var\cache\... can be created by any local user), e.g. as OpenSSL's config
# or module directory, or curl's CA bundle.
verify_no_build_paths() {
  local a hits=0
  for a in "$prefix"/lib/*.a; do
    if grep -aqF "$CACHE" "$a"; then
      log "FAIL: $a embeds the build path $CACHE: $(grep -aoF "$CACHE" "$a" | head -1)..."
      hits=1
    fi
  done
  return $hits
}

write_toolchain
for lib in zlib openssl zstd isal libarchive curl headers; do step "$lib"; done
verify_no_build_paths || die "refusing to mark $prefix complete"
rm -rf "$work"
rm -f "$prefix"/.stamp-*
touch "$prefix/.complete"
log "built in $((SECONDS - start)) s: $prefix"
echo "$prefix"
