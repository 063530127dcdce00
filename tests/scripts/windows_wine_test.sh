#!/usr/bin/env bash
# kiln.exe (the mingw-w64 build, build-windows/kiln.exe) under wine against the Linux kiln and
# Linux-side tools. Wine is not Windows: this shows kiln.exe's own logic on wine's Win32, never
# how it behaves on a Windows host. One throw-away WINEPREFIX for the whole run. Cases:
#   parse      kiln parse (summary, --dump, --json) of the error goldens
#              (tests/parser/data/error_cases.txt), the samples and BuildKit's conformance
#              Dockerfiles (../shared/conformance/buildkit, when present): same stdout, stderr
#              and exit code as the Linux kiln, and the goldens' own lines / BuildKit's results;
#   layer      kiln layer create (windows and linux formats, gzip and zstd) of a tree with long
#              paths (> 260 chars), non-ASCII names, empty and 3 MiB files: byte-identical blobs
#              with the same SOURCE_DATE_EPOCH;
#   build      kiln build of samples/hello-nanoserver on samples/bases: the same image digest
#              and the same OCI-layout tar as the Linux build; the Linux kiln reads the store
#              kiln.exe wrote;
#   context    COPY sources with *, ? and bracket expressions: the same digest as the Linux
#              build; a missing build context is one line;
#   w1         a COPY-only Windows build of the W1 context (../shared/bench/gen_context.py app):
#              the same digest (kiln-skip line when ../shared is absent);
#   registry   push / pull / copy / login / logout against docker-registry over plain HTTP on
#              loopback, TLS with a test CA (refused without it) and token auth
#              (tests/support/token_server.py), checked with skopeo (a 40 MiB layer goes up
#              in chunks); a CA in the Windows
#              certificate store (wine's crypt32) is trusted;
#   shrink     kiln shrink and kiln analyze --json of samples/shrink/copy-only-windows: the same
#              digests and the same analysis as on Linux;
#   interrupt  a Ctrl-C (SIGINT to the wine process; wine turns it into CTRL_C_EVENT for
#              SetConsoleCtrlHandler) during a build: exit 130, nothing in tmp/, no name, every
#              blob matches its digest (checked by the Linux kiln and sha256sum), the next build
#              succeeds;
#   defaults   without --root / --config, kiln.exe's store is %LOCALAPPDATA%\kiln and login
#              writes %USERPROFILE%\.docker\config.json (inside the wine prefix);
#   credhelper credsStore: a docker-credential-*.exe (tests/support/windows) stores, gets and
#              erases credentials for login, push and logout; helper failures are one line;
#   console    on a console (wine's conhost on a pty from script(1)): --progress auto draws
#              the live view, plain lines into a file; login's password prompt does not echo;
#   unsupported ADD --unpack=true of a local archive: kiln.exe's one-line refusal, tmp/ empty.
# Every case runs; failures are listed at the end. Skips with one kiln-skip line (exit 77) when
# wine or kiln.exe is missing.
# Usage: windows_wine_test.sh KILN   (the Linux kiln; env KILN_SOURCE_DIR, KILN_SHARED_DIR,
#   KILN_EXE, KILN_WINE_CASES="parse layer ..." to run some cases, KILN_WINE_TARGET=native to
#   run the same logic with the Linux kiln as the target)
set -uo pipefail
export LC_ALL=C
kiln_ref=$(realpath "${1:?usage: $0 KILN}")
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${KILN_SHARED_DIR:-$(realpath -m "$src/../shared")}
[[ -d $shared ]] || shared=$(realpath -m "$src/../../shared")
# shellcheck source=windows_wine_lib.sh
source "$src/tests/scripts/windows_wine_lib.sh"
wine_find windows_wine_test
for tool in skopeo docker-registry openssl python3; do
  command -v "$tool" > /dev/null || { echo "kiln-skip: windows_wine_test: no $tool"; exit 77; }
done

t=$(mktemp -d /tmp/kiln-wine.XXXXXX)
cleanup() {
  local p
  stop_bg
  wine_cleanup
  rm -rf "$t"
}
trap cleanup EXIT
stop_bg() {
  local p
  [[ -f $t/bg.pids ]] || return 0
  while read -r p; do kill "$p" 2> /dev/null || true; done < "$t/bg.pids"
  while read -r p; do while kill -0 "$p" 2> /dev/null; do sleep 0.05; done; done < "$t/bg.pids"
  rm -f "$t/bg.pids"
}
wine_start "$t" || { echo "FAIL: wineboot"; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1600000000
nano_ref="mcr.microsoft.com/windows/nanoserver:ltsc2022"
base_dir=$src/samples/bases/nanoserver
R() { "$kiln_ref" --progress quiet "$@"; }                 # the Linux kiln
X() { kx --progress quiet "$@"; }                          # kiln.exe under wine
# The store a case's kiln.exe and Linux kiln use (set per case).
RS() { R --root "$1/ref-store" "${@:2}"; }
XS() { X --root "$(wp "$1/exe-store")" "${@:2}"; }
digest_of() { grep -o 'sha256:[0-9a-f]\{64\}' | tail -1; }
json_digest() { python3 -c 'import json,sys; print(json.load(sys.stdin)["descriptor"]["digest"])'; }
same() {  # WHAT A B
  [[ $2 == "$3" ]] || fail "$1 differs: Linux '$2' vs kiln.exe '$3'"
  echo "  same $1: $2"
}

# --- parse ------------------------------------------------------------------------------------
# parse_one DIR ARGS...: Linux kiln and kiln.exe in DIR (relative -f, so error lines name the
# same file): same stdout, stderr and exit code (kiln.exe's \r\n line ends dropped).
parse_one() {
  local dir=$1 rc_r=0 rc_x=0; shift
  (cd "$dir" && "$kiln_ref" parse "$@" > "$t/p.r.out" 2> "$t/p.r.err") || rc_r=$?
  (cd "$dir" && kx parse "$@" > "$t/p.x.raw" 2> "$t/p.x.rawerr") || rc_x=$?
  # Hundreds of wine starts: under load wine itself now and then ends a run with a status and no
  # output at all (kiln always says why it fails). Such a run is tried once more, and said so.
  if [[ $rc_r != "$rc_x" && ! -s $t/p.x.raw && ! -s $t/p.x.rawerr ]]; then
    echo "  (wine: parse $* in $dir ended with exit $rc_x and no output; run again)" >&2
    rc_x=0
    (cd "$dir" && kx parse "$@" > "$t/p.x.raw" 2> "$t/p.x.rawerr") || rc_x=$?
  fi
  crlf < "$t/p.x.raw" > "$t/p.x.out"
  crlf < "$t/p.x.rawerr" > "$t/p.x.err"
  [[ $rc_r == "$rc_x" ]] || fail "parse $* in $dir: exit $rc_r on Linux, $rc_x with kiln.exe: $(cat "$t/p.x.err")"
  cmp -s "$t/p.r.out" "$t/p.x.out" || { diff "$t/p.r.out" "$t/p.x.out" | head -20 >&2; fail "parse $* in $dir: stdout differs"; }
  cmp -s "$t/p.r.err" "$t/p.x.err" || { diff "$t/p.r.err" "$t/p.x.err" | head -20 >&2; fail "parse $* in $dir: stderr differs"; }
  parse_rc=$rc_x
}

case_parse() {
  local n=0 dir name kind expect d
  # The error goldens: one directory per case, the expected line checked for "--- error" cases.
  python3 - "$src/tests/parser/data/error_cases.txt" "$t/errcases" <<'PY'
import os, sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, i, n = sys.argv[2], 0, 0
while i < len(text):
    if not text[i].startswith("=== "):
        i += 1; continue
    i += 1; body = []
    while not text[i].startswith("--- "):
        body.append(text[i]); i += 1
    kind, expect = text[i][4:], text[i + 1]
    d = os.path.join(out, "%03d" % n); n += 1
    os.makedirs(d)
    open(os.path.join(d, "Dockerfile"), "w", encoding="utf-8").write("\n".join(body) + ("\n" if body else ""))
    open(os.path.join(d, "kind"), "w").write(kind)
    open(os.path.join(d, "expect"), "w", encoding="utf-8").write(expect + "\n")
    i += 2
PY
  for dir in "$t"/errcases/*; do
    kind=$(cat "$dir/kind")
    parse_one "$dir" -f Dockerfile
    if [[ $kind == error ]]; then
      [[ $parse_rc == 2 ]] || fail "error golden $(basename "$dir"): exit $parse_rc, not 2"
      cmp -s "$t/p.x.err" "$dir/expect" ||
        fail "error golden $(basename "$dir"): kiln.exe says '$(cat "$t/p.x.err")', golden '$(cat "$dir/expect")'"
    fi
    parse_one "$dir" -f Dockerfile --json
    n=$((n + 1))
  done
  echo "  $n error goldens: same output as Linux, golden lines matched"
  # The samples, with every output form and a Windows --platform.
  for d in "$src"/samples/*/; do
    [[ -f $d/Dockerfile ]] || continue
    parse_one "$d" -f Dockerfile
    parse_one "$d" -f Dockerfile --dump
    parse_one "$d" -f Dockerfile --json --platform windows/amd64:10.0.20348
    n=$((n + 1))
  done
  # BuildKit's conformance files: --dump equals BuildKit's `result`.
  if [[ -d $shared/conformance/buildkit/testfiles ]]; then
    for d in "$shared"/conformance/buildkit/testfiles/*/ "$shared"/conformance/buildkit/testfiles-negative/*/; do
      parse_one "$d" -f Dockerfile --dump
      if [[ -f $d/result ]]; then
        diff -q <(sed 's/[[:space:]]*$//' "$d/result") <(sed 's/[[:space:]]*$//' "$t/p.x.out") > /dev/null ||
          fail "conformance $(basename "$d"): kiln.exe's --dump differs from BuildKit's result"
      fi
      parse_one "$d" -f Dockerfile --json
      n=$((n + 1))
    done
  else
    echo "  (../shared/conformance absent: BuildKit conformance files not run)"
  fi
  echo "  $n Dockerfiles parsed: identical output"
}

# --- layer create -----------------------------------------------------------------------------
make_tree() {
  python3 - "$1" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(14)
def put(rel, data):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data)
for i in range(40):
    put("app/lib%02d/mod%02d.dll" % (i % 7, i), rng.randbytes(rng.randint(0, 40000)))
put("app/empty.txt", b"")
put("app/big.bin", rng.randbytes(3 << 20))
put("app/config/settings.json", b'{"greeting": "hi"}\r\n')
put("app/Ünïcödé dir/日本語.txt", "grüße\n".encode())
put("app/with space/a b.cmd", b"@echo off\r\necho hi\r\n")
deep = "app/" + "/".join("segment%02d_abcdefghijklmnopqrstuvwxyz" % i for i in range(9))
put(deep + "/deep file beyond MAX_PATH.txt", b"deep\n")     # > 260 characters
os.makedirs(os.path.join(root, "app/empty-dir"))
PY
}

case_layer() {
  local tree=$t/tree fmt comp r x
  make_tree "$tree"
  # kiln.exe reads every file as 0755 (Windows has no execute bit; docker's rule): the Linux
  # reference tree gets the same bits so the Linux-format layers can be byte-identical.
  chmod -R 0755 "$tree"
  [[ $(find "$tree" -type f -printf '%P\n' | awk '{ if (length($0) > 260) n++ } END { print n+0 }') -ge 1 ]] ||
    fail "the tree has no path longer than 260 characters"
  for fmt in windows linux; do
    for comp in gzip zstd none; do
      r=$t/layer-$fmt-$comp.ref
      x=$t/layer-$fmt-$comp.exe
      R layer create --format "$fmt" --compression "$comp" -o "$r" "$tree" > "$r.json" || fail "Linux layer create $fmt $comp"
      X layer create --format "$fmt" --compression "$comp" -o "$(wp "$x")" "$(wp "$tree")" 2> "$x.err" | crlf > "$x.json" ||
        fail "kiln.exe layer create $fmt $comp: $(cat "$x.err")"
      if ! cmp -s "$r" "$x"; then
        if [[ $comp == none ]]; then
          diff <(tar -tvf "$r" 2>&1) <(tar -tvf "$x" 2>&1) | head -10 >&2
        fi
        fail "layer create --format $fmt --compression $comp: blobs differ ($(sha256sum < "$r" | cut -c1-16) vs $(sha256sum < "$x" | cut -c1-16))"
      fi
      cmp -s "$r.json" "$x.json" || fail "layer create $fmt $comp: JSON differs: $(cat "$r.json") vs $(cat "$x.json")"
      echo "  same layer --format $fmt --compression $comp: $(sha256sum < "$x" | cut -d' ' -f1)"
    done
  done
  # The mode rule itself: a 0644 file becomes 0755, a read-only one 0555, in Linux format.
  mkdir -p "$t/modes" && echo a > "$t/modes/plain.txt" && echo b > "$t/modes/ro.txt"
  chmod 0644 "$t/modes/plain.txt" && chmod 0444 "$t/modes/ro.txt"
  X layer create --format linux --compression none -o "$(wp "$t/modes.tar")" "$(wp "$t/modes")" > /dev/null ||
    fail "kiln.exe layer create of the mode tree"
  [[ $(tar -tvf "$t/modes.tar" | awk '$NF == "plain.txt" || $NF == "ro.txt" { print $1, $NF }' | sort | tr '\n' ' ') == \
     "-r-xr-xr-x ro.txt -rwxr-xr-x plain.txt " ]] ||
    fail "kiln.exe's Linux-format modes: $(tar -tvf "$t/modes.tar" | tr '\n' ';')"
  X layer check "$(wp "$t/layer-windows-gzip.exe")" > /dev/null || fail "kiln.exe layer check refuses its own layer"
  R layer check "$t/layer-windows-zstd.exe" > /dev/null || fail "Linux layer check refuses kiln.exe's layer"
}

# --- build: hello-nanoserver ------------------------------------------------------------------
case_build() {
  local c=$t/build rd xd
  mkdir -p "$c"
  # --provenance=false: an OCI output gets min provenance, which records each named context's
  # value as given (/srv/base vs Z:\srv\base); the images themselves must be the same.
  RS "$c" build -t hello:1 --provenance=false --iidfile "$c/ref.iid" -o "type=oci,dest=$c/ref.tar" \
    --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" "$src/samples/hello-nanoserver" > /dev/null ||
    fail "Linux build of hello-nanoserver"
  XS "$c" build -t hello:1 --provenance=false --iidfile "$(wp "$c/exe.iid")" -o "type=oci,dest=$(wp "$c/exe.tar")" \
    --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$src/samples/hello-nanoserver")" \
    > "$c/exe.out" 2> "$c/exe.err" || fail "kiln.exe build of hello-nanoserver: $(crlf < "$c/exe.err")"
  rd=$(digest_of < "$c/ref.iid"); xd=$(crlf < "$c/exe.iid" | digest_of)
  same "hello-nanoserver image digest" "$rd" "$xd"
  same "hello-nanoserver OCI tar" "$(sha256sum < "$c/ref.tar" | cut -d' ' -f1)" "$(sha256sum < "$c/exe.tar" | cut -d' ' -f1)"
  # The store kiln.exe wrote is a store the Linux kiln reads, and the other way round.
  same "digest of hello:1 in kiln.exe's store, read by the Linux kiln" "$rd" "$(R --root "$c/exe-store" inspect --json hello:1 | json_digest)"
  skopeo inspect --raw "oci-archive:$c/exe.tar" > /dev/null || fail "skopeo cannot read kiln.exe's OCI tar"
  # A rebuild by kiln.exe is fully cached: same digest.
  XS "$c" build -t hello:2 --iidfile "$(wp "$c/exe2.iid")" \
    --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$src/samples/hello-nanoserver")" \
    > /dev/null 2>&1 || fail "kiln.exe rebuild"
  same "cached rebuild digest" "$xd" "$(crlf < "$c/exe2.iid" | digest_of)"
}

# --- build: W1 COPY-only ----------------------------------------------------------------------
case_w1() {
  local c=$t/w1 rd xd
  if [[ ! -f $shared/bench/gen_context.py ]]; then
    echo "kiln-skip: windows_wine_test w1: no ../shared/bench/gen_context.py"
    return 0
  fi
  mkdir -p "$c/ctx"
  python3 "$shared/bench/gen_context.py" app "$c/ctx/data" > "$c/summary" || fail "gen_context.py app"
  printf 'FROM %s\nCOPY data C:/data\n' "$nano_ref" > "$c/ctx/Dockerfile"
  echo "  W1: $(cat "$c/summary")"
  RS "$c" build -t w1:1 --iidfile "$c/ref.iid" --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" "$c/ctx" \
    > /dev/null || fail "Linux build of W1"
  XS "$c" build -t w1:1 --iidfile "$(wp "$c/exe.iid")" \
    --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$c/ctx")" > /dev/null 2> "$c/exe.err" ||
    fail "kiln.exe build of W1: $(crlf < "$c/exe.err")"
  rd=$(digest_of < "$c/ref.iid"); xd=$(crlf < "$c/exe.iid" | digest_of)
  same "W1 COPY-only image digest" "$rd" "$xd"
  rm -rf "$c"
}

# mingw_exe SRC.c OUT.exe [LIBS...]: a small test program for wine, built with mingw-w64's C
# compiler; fails (with a kiln-skip line) when there is none.
mingw_exe() {
  local cc=${MINGW_CC:-x86_64-w64-mingw32-gcc}
  command -v "$cc" > /dev/null || { echo "kiln-skip: no $cc to build $(basename "$2")"; return 1; }
  "$cc" -O1 -Wall -Werror -o "$2" "$1" "${@:3}" || fail "building $(basename "$2")"
}

# --- build context: wildcard sources, a missing context ---------------------------------------
# COPY sources with *, ? and bracket expressions ([a-c], [!x], [[:digit:]]) match the same files
# as on Linux (core/windows/sys_fs_win.cc FnMatch): the same image digest. A build context that
# does not exist is one line naming it, with the system's reason.
case_context() {
  local c=$t/context rd xd rc=0
  mkdir -p "$c/ctx/src/d1" "$c/ctx/src/dx"
  for f in a.txt b.txt c.txt x.txt ab.log d1/n.txt dx/n.txt; do echo "$f" > "$c/ctx/src/$f"; done
  printf 'FROM %s\nCOPY src/[a-c].t?t C:/one/\nCOPY src/[!abc]*.txt C:/two/\nCOPY ["src/d[[:digit:]]/*", "C:/three/"]\nCOPY src/*.log C:/four/\n' \
    "$nano_ref" > "$c/ctx/Dockerfile"
  RS "$c" build -t ctx:1 --iidfile "$c/ref.iid" --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" "$c/ctx" \
    > /dev/null || fail "Linux build with wildcard sources"
  XS "$c" build -t ctx:1 --iidfile "$(wp "$c/exe.iid")" --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" \
    "$(wp "$c/ctx")" > /dev/null 2> "$c/exe.err" || fail "kiln.exe build with wildcard sources: $(crlf < "$c/exe.err")"
  rd=$(digest_of < "$c/ref.iid"); xd=$(crlf < "$c/exe.iid" | digest_of)
  same "wildcard COPY image digest" "$rd" "$xd"
  XS "$c" build -t ctx:2 -f "$(wp "$c/ctx/Dockerfile")" "$(wp "$c/absent")" > /dev/null 2> "$c/absent.raw" || rc=$?
  crlf < "$c/absent.raw" > "$c/absent.err"
  [[ $rc != 0 && $(wc -l < "$c/absent.err") == 1 ]] && grep -q "build context \".*absent\": No such file or directory$" "$c/absent.err" ||
    fail "a missing build context: exit $rc: $(cat "$c/absent.err")"
  echo "  missing context: $(cat "$c/absent.err")"
}

# --- registry ---------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 300); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2> /dev/null && return 0
    sleep 0.05
  done
  return 1
}
# start_reg DIR MODE(plain|tls|token): sets reg (host:port) and skopeo flags sk_src/sk_dst/sk_insp.
start_reg() {
  local d=$1 mode=$2 port tport
  mkdir -p "$d"
  port=$(free_port); reg=127.0.0.1:$port
  {
    echo "version: 0.1"
    echo "log: {level: info, formatter: text}"
    echo "storage: {filesystem: {rootdirectory: $d/data}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: $reg"
    echo "  secret: kiln-test"
  } > "$d/config.yml"
  sk_src=(--src-tls-verify=false); sk_dst=(--dest-tls-verify=false); sk_insp=(--tls-verify=false)
  if [[ $mode == tls ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/tls.key" \
      -out "$d/tls.crt" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2> /dev/null
    echo "  tls: {certificate: $d/tls.crt, key: $d/tls.key}" >> "$d/config.yml"
    mkdir -p "$d/skopeo-certs" && cp "$d/tls.crt" "$d/skopeo-certs/ca.crt"
    sk_src=(--src-cert-dir="$d/skopeo-certs"); sk_dst=(--dest-cert-dir="$d/skopeo-certs"); sk_insp=(--cert-dir="$d/skopeo-certs")
  fi
  if [[ $mode == token ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" -days 2 \
      -subj /CN=kiln-test-token-issuer 2> /dev/null
    printf 'kiln-user:kiln-Secret-pw1\n' > "$d/users"
    tport=$(free_port)
    python3 "$src/tests/support/token_server.py" "$tport" "$d/token.key" "$d/token.crt" kiln-test-issuer \
      kiln-test-registry "$d/users" "$d/tokens.log" > "$d/token.log" 2>&1 &
    echo $! >> "$t/bg.pids"
    wait_port "$tport" || fail "token server did not start"
    printf 'auth:\n  token: {realm: "http://127.0.0.1:%s/token", service: kiln-test-registry, issuer: kiln-test-issuer, rootcertbundle: %s}\n' \
      "$tport" "$d/token.crt" >> "$d/config.yml"
    sk_src+=(--src-creds=kiln-user:kiln-Secret-pw1); sk_dst+=(--dest-creds=kiln-user:kiln-Secret-pw1)
    sk_insp+=(--creds=kiln-user:kiln-Secret-pw1)
  fi
  docker-registry serve "$d/config.yml" > "$d/registry.log" 2>&1 &
  echo $! >> "$t/bg.pids"
  wait_port "$port" || { cat "$d/registry.log" >&2; fail "docker-registry ($mode) did not start"; }
}
remote_digest() {  # REF (docker://...)
  skopeo inspect "${sk_insp[@]}" --raw "docker://$1" | sha256sum | sed 's/^/sha256:/; s/ .*//'
}

# registry_mode MODE: push, pull, copy (and login/logout for token) by kiln.exe, checked by skopeo.
registry_mode() {
  local mode=$1 c cfg xcfg want got rc
  c=$t/reg-$mode
  mkdir -p "$c"
  start_reg "$c/registry" "$mode"
  cfg=$c/docker-config; mkdir -p "$cfg"
  echo '{"auths": {}}' > "$cfg/config.json"
  if [[ $mode == tls ]]; then mkdir -p "$cfg/certs.d/$reg" && cp "$c/registry/tls.crt" "$cfg/certs.d/$reg/ca.crt"; fi
  xcfg=$(wp "$cfg")
  # The image: hello-nanoserver built by the Linux kiln into kiln.exe's store (the base layers
  # are local: from the OCI layout).
  R --root "$c/exe-store" build -t hello:1 --iidfile "$c/iid" --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" \
    "$src/samples/hello-nanoserver" > /dev/null || fail "Linux build for the registry case"
  want=$(digest_of < "$c/iid")
  if [[ $mode == token ]]; then
    # Anonymous push is refused (the token server grants pull only to anonymous callers).
    rc=0; XS "$c" --config "$xcfg" push hello:1 "$reg/wine/hello:anon" > /dev/null 2> "$c/anon.err" || rc=$?
    [[ $rc != 0 ]] || fail "token: anonymous push by kiln.exe succeeded"
    # kiln.exe login writes docker's config.json; skopeo logs in with it. The password comes
    # with a CR LF line end, as Windows shells pipe it: not part of the password (docker's rule).
    printf 'kiln-Secret-pw1\r\n' | X --config "$xcfg" login -u kiln-user --password-stdin "$reg" > /dev/null 2> "$c/login.err" ||
      fail "token: kiln.exe login: $(crlf < "$c/login.err")"
    python3 - "$cfg/config.json" "$reg" <<'PY' || fail "token: config.json after kiln.exe login"
import base64, json, sys
d = json.load(open(sys.argv[1]))
assert base64.b64decode(d["auths"][sys.argv[2]]["auth"]).decode() == "kiln-user:kiln-Secret-pw1", d
PY
    sk_insp=(--tls-verify=false --authfile "$cfg/config.json")
    echo "  token: kiln.exe login wrote config.json (skopeo uses it below)"
  fi
  XS "$c" --config "$xcfg" push hello:1 "$reg/wine/hello:1" > "$c/push.out" 2> "$c/push.err" ||
    fail "$mode: kiln.exe push: $(crlf < "$c/push.err")"
  same "$mode: pushed manifest digest (skopeo inspect)" "$want" "$(remote_digest "$reg/wine/hello:1")"
  skopeo copy -q --all "${sk_src[@]}" "docker://$reg/wine/hello:1" "oci:$c/skopeo-oci:x" > /dev/null ||
    fail "$mode: skopeo copy of kiln.exe's push"
  # skopeo pushes, kiln.exe pulls.
  skopeo copy -q --all "${sk_dst[@]}" "oci:$base_dir:ltsc2022" "docker://$reg/wine/base:ltsc2022" > /dev/null ||
    fail "$mode: skopeo push of the base"
  # (--platform on both: kiln.exe's default would be wine's host build, the Linux kiln's linux.)
  got=$(XS "$c" --config "$xcfg" pull --platform windows/amd64:10.0.20348 "$reg/wine/base:ltsc2022" 2> "$c/pull.err" |
        crlf | digest_of) || fail "$mode: kiln.exe pull: $(crlf < "$c/pull.err")"
  same "$mode: pulled digest (skopeo pushed), kiln.exe vs Linux kiln" \
    "$(RS "$c" --config "$cfg" pull --platform windows/amd64:10.0.20348 "$reg/wine/base:ltsc2022" 2> /dev/null | digest_of)" "$got"
  skopeo inspect "${sk_insp[@]}" --raw "docker://$reg/wine/base:ltsc2022" | grep -q "\"$got\"" ||
    fail "$mode: $got is not in the index skopeo reads"
  R --root "$c/exe-store" save "$reg/wine/base:ltsc2022" -o "$c/pulled" > /dev/null 2>&1 ||
    fail "$mode: the Linux kiln cannot save what kiln.exe pulled"
  # kiln.exe copies registry to registry.
  XS "$c" --config "$xcfg" copy "$reg/wine/hello:1" "$reg/wine/copied:1" > /dev/null 2> "$c/copy.err" ||
    fail "$mode: kiln.exe copy: $(crlf < "$c/copy.err")"
  same "$mode: copied digest" "$want" "$(remote_digest "$reg/wine/copied:1")"
  if [[ $mode == plain ]]; then
    # A layer over the 32 MiB chunk size goes up in PATCH chunks, each reading the blob from
    # its offset (sys::Seek); the registry checks the digest of what arrived.
    mkdir -p "$c/big"
    head -c $((40 << 20)) /dev/urandom > "$c/big/big.bin"
    printf 'FROM %s\nCOPY big.bin C:/big.bin\n' "$nano_ref" > "$c/big/Dockerfile"
    R --root "$c/exe-store" build -t big:1 --iidfile "$c/big.iid" --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" \
      "$c/big" > /dev/null || fail "Linux build of the 40 MiB image"
    XS "$c" --config "$xcfg" push big:1 "$reg/wine/big:1" > /dev/null 2> "$c/big.err" ||
      fail "plain: kiln.exe push of a 40 MiB layer (chunked): $(crlf < "$c/big.err")"
    same "plain: pushed digest with a 40 MiB layer (chunked upload)" "$(digest_of < "$c/big.iid")" "$(remote_digest "$reg/wine/big:1")"
    rm -rf "$c/big"
  fi
  if [[ $mode == tls ]]; then
    # Without the test CA the registry is refused (exit 3); with --ca-cert it is trusted.
    rc=0; XS "$c" --config "$(wp "$c/empty-config")" pull "$reg/wine/hello:1" > /dev/null 2> "$c/noca.err" || rc=$?
    [[ $rc == 3 ]] || fail "tls: kiln.exe without the CA: exit $rc, not 3: $(crlf < "$c/noca.err")"
    XS "$c" --config "$(wp "$c/empty-config")" --ca-cert "$(wp "$c/registry/tls.crt")" pull "$reg/wine/hello:1" \
      > /dev/null 2> "$c/ca.err" || fail "tls: kiln.exe --ca-cert: $(crlf < "$c/ca.err")"
    echo "  tls: refused without the CA (exit 3), trusted with certs.d and with --ca-cert"
    if [[ -n $wine ]] && mingw_exe "$src/tests/support/windows/add_root_cert.c" "$c/add_root_cert.exe" -lcrypt32; then
      # The CA in the Windows certificate store (wine's crypt32, in the prefix): trusted
      # without certs.d or --ca-cert (registry/windows/tls_trust_win.cc).
      "$wine" "$c/add_root_cert.exe" "$(wp "$c/registry/tls.crt")" || fail "tls: add_root_cert.exe"
      XS "$c" --config "$(wp "$c/empty-config")" pull "$reg/wine/hello:1" > /dev/null 2> "$c/store.err" ||
        fail "tls: kiln.exe does not trust a CA of the Windows certificate store: $(crlf < "$c/store.err")"
      echo "  tls: trusted through the Windows certificate store (ROOT, wine's crypt32)"
    fi
  fi
  if [[ $mode == token ]]; then
    X --config "$xcfg" logout "$reg" > /dev/null 2>&1 || fail "token: kiln.exe logout"
    python3 -c "import json,sys; d=json.load(open('$cfg/config.json')); assert '$reg' not in d.get('auths', {})" ||
      fail "token: logout left the credentials"
    local tok n=0
    while read -r tok; do
      [[ -n $tok ]] || continue
      n=$((n + 1))
      if grep -qF "$tok" "$c"/*.err "$c"/*.out; then fail "token: an issued token appears in kiln.exe's output"; fi
    done < "$c/registry/tokens.log"
    ((n > 0)) || fail "token: the token server issued no token"
  fi
}
case_registry() {
  registry_mode plain
  registry_mode tls
  registry_mode token
}

# --- shrink and analyze -----------------------------------------------------------------------
case_shrink() {
  local c=$t/shrink rd xd
  mkdir -p "$c"
  python3 "$src/samples/shrink/make_context.py" "$c/ctx" 0.01
  for who in ref exe; do
    if [[ $who == ref ]]; then
      RS "$c" build -t copy:orig --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" \
        -f "$src/samples/shrink/copy-only-windows/Dockerfile" "$c/ctx" > /dev/null || fail "Linux build (shrink)"
    else
      XS "$c" build -t copy:orig --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" \
        -f "$(wp "$src/samples/shrink/copy-only-windows/Dockerfile")" "$(wp "$c/ctx")" > /dev/null 2> "$c/b.err" ||
        fail "kiln.exe build (shrink): $(crlf < "$c/b.err")"
    fi
  done
  same "copy-only-windows digest" "$(RS "$c" inspect --json copy:orig | json_digest)" \
    "$(XS "$c" inspect --json copy:orig | crlf | json_digest)"
  rd=$(RS "$c" shrink copy:orig -t copy:shrunk | digest_of)
  xd=$(XS "$c" shrink copy:orig -t copy:shrunk 2> "$c/s.err" | crlf | digest_of) || fail "kiln.exe shrink: $(crlf < "$c/s.err")"
  [[ -n $rd ]] || fail "Linux shrink printed no digest"
  same "shrunk digest" "$rd" "$xd"
  for img in copy:orig copy:shrunk; do
    RS "$c" analyze --json "$img" > "$c/a.ref.json" || fail "Linux analyze $img"
    XS "$c" analyze --json "$img" 2> "$c/a.err" | crlf > "$c/a.exe.json" || fail "kiln.exe analyze $img: $(crlf < "$c/a.err")"
    cmp -s "$c/a.ref.json" "$c/a.exe.json" || { diff "$c/a.ref.json" "$c/a.exe.json" | head >&2; fail "analyze --json $img differs"; }
    RS "$c" analyze "$img" > "$c/a.ref.txt"
    XS "$c" analyze "$img" | crlf > "$c/a.exe.txt"
    cmp -s "$c/a.ref.txt" "$c/a.exe.txt" || { diff "$c/a.ref.txt" "$c/a.exe.txt" | head >&2; fail "analyze $img differs"; }
    echo "  same analyze (json and text) of $img"
  done
}

# --- Ctrl-C -----------------------------------------------------------------------------------
case_interrupt() {
  local c=$t/int pid rc b i
  mkdir -p "$c/ctx"
  head -c $((256 << 20)) /dev/urandom > "$c/ctx/big.bin"
  printf 'FROM %s\nCOPY big.bin C:/data/big.bin\n' "$nano_ref" > "$c/ctx/Dockerfile"
  local args=(build -t big:1 --compression-level 9 --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$c/ctx")")
  # The binary itself in the background (not the kx function, whose subshell would get the signal).
  "${kx_cmd[@]}" --root "$(wp "$c/exe-store")" --progress plain "${args[@]}" > "$c/build.err" 2>&1 &
  pid=$!
  for i in $(seq 1 3000); do grep -qs "COPY big.bin" "$c/build.err" && break; sleep 0.02; done
  grep -q "COPY big.bin" "$c/build.err" || { kill "$pid"; fail "the build never reached its COPY: $(crlf < "$c/build.err")"; }
  sleep 0.3
  kill -INT "$pid" 2> /dev/null || fail "kiln.exe finished before Ctrl-C: $(crlf < "$c/build.err")"
  rc=0; wait "$pid" || rc=$?
  [[ $rc == 130 ]] || { crlf < "$c/build.err" >&2; fail "exit code $rc after Ctrl-C, not 130"; }
  [[ -z $(ls -A "$c/exe-store/tmp" 2> /dev/null) ]] || fail "partial blobs left in tmp/: $(ls "$c/exe-store/tmp")"
  if R --root "$c/exe-store" inspect big:1 > /dev/null 2>&1; then fail "the interrupted build left a name"; fi
  for b in "$c"/exe-store/blobs/sha256/*; do
    [[ -e $b ]] || continue
    [[ $(sha256sum < "$b" | cut -d' ' -f1) == "$(basename "$b")" ]] || fail "blob $b does not match its digest"
  done
  R --root "$c/exe-store" prune > /dev/null 2>&1 || fail "the Linux kiln cannot prune the interrupted store"
  kx --root "$(wp "$c/exe-store")" --progress plain "${args[@]}" > "$c/again.err" 2>&1 ||
    { crlf < "$c/again.err" >&2; fail "the build after Ctrl-C failed"; }
  R --root "$c/exe-store" inspect big:1 > /dev/null || fail "no image after the second build"
  echo "  Ctrl-C: exit 130, tmp/ empty, no name, blobs verified, rebuild ok"
  rm -rf "$c"
}

# --- Windows defaults -------------------------------------------------------------------------
# Without --root and --config kiln.exe uses %LOCALAPPDATA%\kiln and %USERPROFILE%\.docker: in
# the wine prefix, drive_c/users/<user>/AppData/Local/kiln and drive_c/users/<user>/.docker.
case_defaults() {
  local c=$t/defaults users store cfg
  if [[ -z $wine ]]; then echo "  (native mode: no Windows defaults to check)"; return 0; fi
  mkdir -p "$c"
  env -u DOCKER_CONFIG -u XDG_DATA_HOME "${kx_cmd[@]}" --progress quiet build -t defaults:1 \
    --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$src/samples/hello-nanoserver")" \
    > /dev/null 2> "$c/b.err" || fail "kiln.exe build without --root: $(crlf < "$c/b.err")"
  # The same verbs in the same order as the Linux kiln's --help.
  verbs() { sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }' | tr '\n' ' '; }
  same "verbs in --help" "$(R --help | verbs)" "$(X --help | crlf | verbs)"
  # A positional argument starting with '/' is a path, not a Windows-style option.
  X parse "$src/samples/hello-nanoserver" > /dev/null 2> "$c/p.err" ||
    fail "kiln.exe parse of a /-path: $(crlf < "$c/p.err")"
  store=$(find "$WINEPREFIX/drive_c/users" -maxdepth 5 -path '*/AppData/Local/kiln/index.json' | head -1)
  [[ -n $store ]] || fail "no store under %LOCALAPPDATA%\\kiln in the prefix: $(find "$WINEPREFIX/drive_c/users" -maxdepth 4 -name kiln)"
  grep -q 'defaults:1' "$store" || fail "the default store does not name defaults:1"
  echo "  store default: ${store#"$WINEPREFIX/"}"
  start_reg "$c/registry" token
  echo kiln-Secret-pw1 | env -u DOCKER_CONFIG "${kx_cmd[@]}" login -u kiln-user --password-stdin "$reg" > /dev/null 2> "$c/l.err" ||
    fail "kiln.exe login without --config: $(crlf < "$c/l.err")"
  cfg=$(find "$WINEPREFIX/drive_c/users" -maxdepth 4 -path '*/.docker/config.json' | head -1)
  [[ -n $cfg ]] || fail "login wrote no %USERPROFILE%\\.docker\\config.json in the prefix"
  grep -q "$reg" "$cfg" || fail "$cfg does not name $reg"
  echo "  docker config default: ${cfg#"$WINEPREFIX/"}"
  env -u DOCKER_CONFIG "${kx_cmd[@]}" logout "$reg" > /dev/null 2>&1 || fail "kiln.exe logout without --config"
}

# --- credential helpers -----------------------------------------------------------------------
# credsStore in docker's config.json: kiln.exe runs docker-credential-<name>.exe, found on PATH
# (WINEPATH) and started with CreateProcessW (registry/windows/credential_helper_win.cc), for
# login (store), push (get) and logout (erase), as docker does; the helper here is
# tests/support/windows/docker_credential_test.c. A missing helper, one that cannot start and
# one that fails give one-line errors.
case_credhelper() {
  local c=$t/cred cfg xcfg rc name
  if [[ -z $wine ]]; then echo "  (native mode: no .exe helper to run)"; return 0; fi
  mkdir -p "$c/bin" "$c/state" "$c/cfg"
  mingw_exe "$src/tests/support/windows/docker_credential_test.c" "$c/bin/docker-credential-kilntest.exe" || return 0
  printf 'not a program\r\n' > "$c/bin/docker-credential-broken.exe"
  start_reg "$c/registry" token
  cfg=$c/cfg xcfg=$(wp "$c/cfg")
  echo '{"credsStore": "kilntest"}' > "$cfg/config.json"
  R --root "$c/exe-store" build -t hello:1 --iidfile "$c/iid" --build-context "$nano_ref=oci-layout://$base_dir:ltsc2022" \
    "$src/samples/hello-nanoserver" > /dev/null || fail "Linux build for the credential helper case"
  H() { env WINEPATH="$(wp "$c/bin")" KILN_CRED_DIR="$(wp "$c/state")" "${kx_cmd[@]}" --progress quiet --config "$xcfg" "$@"; }
  echo kiln-Secret-pw1 | H login -u kiln-user --password-stdin "$reg" > /dev/null 2> "$c/login.err" ||
    fail "kiln.exe login through docker-credential-kilntest.exe: $(crlf < "$c/login.err")"
  python3 - "$c/state/store.json" "$cfg/config.json" "$reg" <<'PY' || fail "after login: the helper's store or config.json is wrong"
import json, sys
s = json.load(open(sys.argv[1]))
assert s == {"ServerURL": sys.argv[3], "Username": "kiln-user", "Secret": "kiln-Secret-pw1"}, s
c = json.load(open(sys.argv[2]))
assert c["auths"][sys.argv[3]] == {} and c["credsStore"] == "kilntest", c
PY
  H --root "$(wp "$c/exe-store")" push hello:1 "$reg/wine/hello:1" > /dev/null 2> "$c/push.err" ||
    fail "kiln.exe push with the helper's credentials: $(crlf < "$c/push.err")"
  grep -qx "get $reg" "$c/state/log.txt" || fail "push did not ask the helper: $(cat "$c/state/log.txt")"
  same "pushed digest (credentials from the helper)" "$(digest_of < "$c/iid")" "$(remote_digest "$reg/wine/hello:1")"
  H logout "$reg" > /dev/null 2> "$c/logout.err" || fail "kiln.exe logout through the helper: $(crlf < "$c/logout.err")"
  grep -qx "erase $reg" "$c/state/log.txt" && [[ ! -e $c/state/store.json ]] || fail "logout did not erase through the helper"
  echo "  docker-credential-kilntest.exe: store (login), get (push), erase (logout)"
  # A helper that fails, one that is not on PATH, one that cannot start: one line each.
  echo kiln-Secret-pw1 | H login -u kiln-user --password-stdin "$reg" > /dev/null 2>&1 || fail "second login"
  for name in fail absent broken; do
    if [[ $name == fail ]]; then
      echo '{"credsStore": "kilntest"}' > "$cfg/config.json"
    else
      echo "{\"credsStore\": \"$name\"}" > "$cfg/config.json"
    fi
    rc=0
    KILN_CRED_FAIL=$([[ $name == fail ]] && echo 5) H --root "$(wp "$c/exe-store")" push hello:1 "$reg/wine/hello:2" \
      > /dev/null 2> "$c/$name.raw" || rc=$?
    crlf < "$c/$name.raw" | grep -v '^docker-credential-kilntest: failing as told' > "$c/$name.err" || true
    [[ $rc != 0 ]] || fail "push with credsStore $name succeeded"
    [[ $(wc -l < "$c/$name.err") == 1 ]] || fail "credsStore $name: not one line: $(cat "$c/$name.err")"
    case $name in
      fail) grep -q "credential helper docker-credential-kilntest failed for $reg (exit 5)" "$c/$name.err" ;;
      absent) grep -q "credential helper docker-credential-absent not found on PATH" "$c/$name.err" ;;
      # (the system's message names the program: no "%1" left in it)
      broken) grep -qE "cannot run docker-credential-broken: .*docker-credential-broken\.exe" "$c/$name.err" &&
                ! grep -qF "%1" "$c/$name.err" ;;
    esac || fail "credsStore $name: $(cat "$c/$name.err")"
    echo "  credsStore $name: $(cat "$c/$name.err")"
  done
}

# --- console ----------------------------------------------------------------------------------
# kiln.exe on a console: wine's conhost on a pseudo-terminal from script(1). --progress auto
# turns VT processing on and draws the live view (cli/windows/console_win.cc: IsTerminal,
# EnableTerminalEscapes, TerminalColumns); with stderr in a file it prints plain lines. login
# prompts for the password with echo off (EchoOff) and logs in with what was typed.
# screen FILE: the text of a typescript (cursor-forward as spaces, other escapes and CRs dropped).
screen() {
  python3 -c '
import re, sys
s = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
s = re.sub(r"\x1b\[(\d*)C", lambda m: " " * int(m.group(1) or 1), s)
s = re.sub(r"\x1b\][^\x07]*\x07|\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r", "", s)
sys.stdout.write(s)' "$1"
}
wait_text() {  # FILE TEXT: up to 60 s
  local i
  for i in $(seq 600); do
    screen "$1" 2> /dev/null | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  return 1
}
case_console() {
  local c=$t/console pid rc
  if [[ -z $wine ]] || ! command -v script > /dev/null; then echo "  (no wine or no script(1): skipped)"; return 0; fi
  mkdir -p "$c/cfg"
  local build=(build -t con:1 --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022"
               "$(wp "$src/samples/hello-nanoserver")")
  "${kx_cmd[@]}" --root "$(wp "$c/store1")" --progress auto "${build[@]}" > /dev/null 2> "$c/plain.err" ||
    fail "kiln.exe build --progress auto, stderr a file: $(crlf < "$c/plain.err")"
  grep -q ': done (' "$c/plain.err" && ! grep -q $'\x1b' "$c/plain.err" ||
    fail "--progress auto without a console: not plain lines: $(head -5 "$c/plain.err")"
  # script(1) ends its child when its own input ends: a FIFO kept open feeds it.
  mkfifo "$c/in"
  exec 8<> "$c/in"
  rc=0
  script -qefc "$(printf '%q ' "${kx_cmd[@]}" --root "$(wp "$c/store2")" --progress auto "${build[@]}")" "$c/build.tty" \
    < "$c/in" > /dev/null 2>&1 || rc=$?
  [[ $rc == 0 ]] || fail "kiln.exe build on a console: exit $rc: $(screen "$c/build.tty" | tail -5)"
  screen "$c/build.tty" > "$c/build.txt"
  ! grep -q ': done (' "$c/build.txt" && grep -qE '\[stage-0 3/7\] WORKDIR C:.app +done' "$c/build.txt" ||
    fail "--progress auto on a console did not draw the live view: $(head -20 "$c/build.txt")"
  echo "  --progress auto: live view on a console, plain lines into a file"
  start_reg "$c/registry" token
  script -qefc "$(printf '%q ' "${kx_cmd[@]}" --config "$(wp "$c/cfg")" login "$reg")" "$c/login.tty" \
    < "$c/in" > /dev/null 2>&1 &
  pid=$!
  wait_text "$c/login.tty" "Username:" || { kill "$pid"; fail "no Username: prompt: $(screen "$c/login.tty")"; }
  printf 'kiln-user\r' >&8
  wait_text "$c/login.tty" "Password:" || { kill "$pid"; fail "no Password: prompt: $(screen "$c/login.tty")"; }
  printf 'kiln-Secret-pw1\r' >&8
  rc=0; wait "$pid" || rc=$?
  exec 8>&-
  screen "$c/login.tty" > "$c/login.txt"
  [[ $rc == 0 ]] && grep -q "Login Succeeded" "$c/login.txt" || fail "login on a console: exit $rc: $(cat "$c/login.txt")"
  grep -q "kiln-user" "$c/login.txt" || fail "the username was not echoed: $(cat "$c/login.txt")"
  if grep -q "kiln-Secret-pw1" "$c/login.txt"; then fail "the password was echoed: $(cat "$c/login.txt")"; fi
  echo "  login on a console: username echoed, password not, Login Succeeded"
}

# --- what kiln.exe does not do yet ------------------------------------------------------------
# ADD --unpack=true of a local archive (a Windows target unpacks only when asked, as docker)
# unpacks a layer into a directory: not implemented on Windows (layers/windows/apply_layer_win.cc).
# kiln.exe refuses with one line naming the step and leaves nothing in tmp/.
case_unsupported() {
  local c=$t/unsup rc=0
  if [[ -z $wine ]]; then echo "  (native mode: the Linux kiln unpacks archives)"; return 0; fi
  mkdir -p "$c/ctx/src"
  echo hi > "$c/ctx/src/hi.txt"
  tar -C "$c/ctx/src" -czf "$c/ctx/a.tar.gz" hi.txt
  printf 'FROM %s\nADD --unpack=true a.tar.gz C:/a/\n' "$nano_ref" > "$c/ctx/Dockerfile"
  XS "$c" build -t unsup:1 --build-context "$nano_ref=oci-layout://$(wp "$base_dir"):ltsc2022" "$(wp "$c/ctx")" \
    > /dev/null 2> "$c/err.raw" || rc=$?
  crlf < "$c/err.raw" > "$c/err"
  [[ $rc != 0 ]] || fail "ADD --unpack=true of a local archive succeeded in kiln.exe"
  [[ $(wc -l < "$c/err") == 1 ]] && grep -q "Dockerfile:2" "$c/err" &&
    grep -q "unpacking a layer into a directory (.*) is not implemented in kiln.exe yet" "$c/err" ||
    fail "ADD of a local archive: $(cat "$c/err")"
  [[ -z $(ls -A "$c/exe-store/tmp" 2> /dev/null) ]] || fail "the refused ADD left $(ls "$c/exe-store/tmp")"
  echo "  ADD of a local archive: exit $rc, $(cat "$c/err")"
}

# --- run --------------------------------------------------------------------------------------
cases=${KILN_WINE_CASES:-parse layer build context w1 registry shrink defaults credhelper console unsupported interrupt}
failed=()
total_start=$SECONDS
for name in $cases; do
  echo "== $name"
  start=$SECONDS
  # The case's background servers (their PIDs in $t/bg.pids: the case runs in a subshell).
  (set -e; "case_$name")
  rc=$?  # the case's status (taken before stop_bg, whose own status is not the case's)
  stop_bg
  if [[ $rc == 0 ]]; then echo "== $name: ok ($((SECONDS - start)) s)"; else echo "== $name: FAILED ($((SECONDS - start)) s)"; failed+=("$name"); fi
done
echo "windows_wine_test: $((SECONDS - total_start)) s; target: ${wine:+wine }${wine:+$kiln_exe}${wine:-Linux kiln (native mode)}"
if ((${#failed[@]})); then
  echo "FAIL: cases failed: ${failed[*]}" >&2
  exit 1
fi
echo "ok"
