# Sourced by the windows_wine_*_test.sh scripts and bench/wine_bench.sh: runs kiln.exe under
# wine (Debian's wine64; wine is not Windows) next to the Linux kiln, in one throw-away
# WINEPREFIX per run, created once (wineboot takes 10-20 s here) and removed by wine_cleanup.
#
# Sets: wine (the 64-bit loader), kiln_exe, WINEPREFIX. Functions: wine_find, wine_start,
# wine_cleanup, kx (runs kiln.exe; or the Linux kiln when KILN_WINE_TARGET=native, which lets
# the whole logic run where kiln.exe is not built), wp (a Linux path as kiln.exe sees it:
# Z:\... under wine, unchanged in native mode), crlf (strips the \r of text-mode output).
#
# Env: KILN_EXE (default $src/build-windows/kiln.exe), KILN_WINE_TARGET=native (development:
# the target is the Linux kiln given as $1).

# wine_find NAME: sets $wine and $kiln_exe, or prints one kiln-skip line and exits 77.
wine_find() {
  local name=$1 w
  kiln_exe=${KILN_EXE:-$src/build-windows/kiln.exe}
  wine=""
  if [[ ${KILN_WINE_TARGET:-} == native ]]; then
    echo "$name: KILN_WINE_TARGET=native: the target is the Linux kiln (development mode, not wine)"
    kx_set
    return 0
  fi
  for w in "$(command -v wine64 || true)" /usr/lib/wine/wine64; do
    if [[ -n $w && -x $w ]]; then wine=$w; break; fi
  done
  if [[ -z $wine ]]; then
    echo "kiln-skip: $name: no wine64 (scripts/setup.sh test installs it)"
    exit 77
  fi
  if [[ ! -f $kiln_exe ]]; then
    echo "kiln-skip: $name: $kiln_exe not built (make windows)"
    exit 77
  fi
  kx_set
}

# wine_start DIR: a fresh prefix under DIR, booted once, and a wineserver kept running (-p) so
# that every kiln.exe call reuses it.
wine_start() {
  [[ -n $wine ]] || return 0
  export WINEPREFIX=$1/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winemenubuilder.exe=d'
  export WINEARCH=win64
  local t0=$SECONDS
  LC_ALL=C.UTF-8 "$wine" wineboot -i > "$1/wineboot.log" 2>&1 || { cat "$1/wineboot.log" >&2; return 1; }
  "${wine%/*}/wineserver" -p > /dev/null 2>&1 || true
  echo "wine: prefix booted in $((SECONDS - t0)) s ($("$wine" --version 2>/dev/null))"
}

wine_cleanup() {
  [[ -n ${wine:-} && -n ${WINEPREFIX:-} && -d ${WINEPREFIX:-/nonexistent} ]] || return 0
  "${wine%/*}/wineserver" -k > /dev/null 2>&1 || true
  "${wine%/*}/wineserver" -w > /dev/null 2>&1 || true
  rm -rf "$WINEPREFIX"
}

# kx ARGS...: kiln.exe under wine (or the Linux kiln in native mode); kx_cmd is the same command
# as an array, for callers that need the process itself (kill -INT).
kx() { "${kx_cmd[@]}" "$@"; }
kx_set() {
  # wine decodes Unix file names with the locale's code page: under LC_ALL=C (the test's own
  # setting, for stable sort and messages) non-ASCII names reach kiln.exe with their high bits
  # stripped, so kiln.exe runs in a UTF-8 locale as a Linux desktop's wine does.
  if [[ -n $wine ]]; then kx_cmd=(env LC_ALL=C.UTF-8 "$wine" "$kiln_exe"); else kx_cmd=("$kiln_ref"); fi
}

# wp PATH: an absolute Linux path as a Windows path through wine's Z: drive (Z:\tmp\x).
wp() {
  local p
  p=$(realpath -m "$1")
  if [[ -n $wine ]]; then
    p=${p//\//\\}
    printf 'Z:%s' "$p"
  else
    printf '%s' "$p"
  fi
}

crlf() { tr -d '\r'; }
