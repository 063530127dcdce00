#!/usr/bin/env bash
# Issue 19 (Must show 2): `kiln analyze --html` of a Windows image (the shrink fixture
# ms-installer-windows) is one self-contained page. Debian's headless Chromium loads it (through
# the DevTools protocol, tests/scripts/render_html.py): no network request, no console message,
# a 1200x900 screenshot that is not blank (grey-level variance and colours from the PNG's
# pixels), and the treemap's labels name the largest directories `kiln analyze --json` reports.
# The checker itself is checked first on a page that does make a request and log an error.
set -euo pipefail
kiln=$(realpath "$1")
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "kiln-skip: chromium is not installed (scripts/setup.sh test)"; exit 77; }
work=$(mktemp -d /tmp/kiln-analyze-html.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
K() { "$kiln" --root "$work/store" --progress quiet "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
render() { timeout 120 python3 "$src/tests/scripts/render_html.py" "$chromium" "$@"; }

# The checker sees a request and a console error when a page has them.
cat > "$work/bad.html" <<'HTML'
<!DOCTYPE html><html><body><p>x</p><img src="http://127.0.0.1:9/x.png">
<script>console.error("kiln-check")</script></body></html>
HTML
bad=$(render "$work/bad.html" "$work/bad.png")
[ "$(field "len(d['requests'])" <<<"$bad")" -ge 1 ] || fail "the checker missed a request: $bad"
grep -q kiln-check <<<"$(field "d['console']" <<<"$bad")" || fail "the checker missed console.error: $bad"

# The fixture image and its report.
python3 "$src/samples/shrink/make_context.py" "$work/ctx" 0.05
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"
SOURCE_DATE_EPOCH=1700000000 K build -t win:three --build-context "$nano" \
  -f "$src/samples/shrink/ms-installer-windows/Dockerfile" "$work/ctx" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "build of the shrink fixture"; }
K analyze win:three --html "$work/report.html" >"$work/analyze.txt" ||
  fail "kiln analyze --html"
[ -s "$work/report.html" ] || fail "no report written"
K analyze win:three --json >"$work/analyze.json"

# Self-contained: nothing that loads from elsewhere.
if grep -Eio '(src|href)=|url\(|@import|https?://|<link|<script' "$work/report.html" | sort -u | grep .; then
  fail "the report refers to something outside itself"
fi

# The largest directory (analyze's own list; container paths), as the treemap labels it (its
# last path component).
largest=$(field "d['kiln']['largestDirectories'][0]['path']" <"$work/analyze.json")
[ -n "$largest" ] || fail "analyze lists no directory"
expr="Array.from(document.querySelectorAll('#treemap text')).map(t => t.textContent)"
out=$(render "$work/report.html" "$work/report.png" "$expr")
echo "$out" | field "{k: v for k, v in d.items() if k != 'value'}"
[ "$(field "len(d['requests'])" <<<"$out")" = 0 ] || fail "network requests: $(field "d['requests']" <<<"$out")"
[ "$(field "len(d['console'])" <<<"$out")" = 0 ] || fail "console messages: $(field "d['console']" <<<"$out")"
[ "$(field "d['width']" <<<"$out")x$(field "d['height']" <<<"$out")" = 1200x900 ] || fail "screenshot size"
python3 - "$out" <<'PY' || fail "the screenshot looks blank"
import json, sys
d = json.loads(sys.argv[1])
# A white page has one colour and variance 0; a treemap page has many colours and contrast.
sys.exit(0 if d["colours"] >= 20 and d["variance"] >= 200 else 1)
PY
python3 - "$out" "$largest" <<'PY' || fail "the treemap does not name the largest directory $largest"
import json, sys
d, largest = json.loads(sys.argv[1]), sys.argv[2]
name = largest.rstrip("/").rsplit("/", 1)[-1]
labels = d["value"] or []
hit = [l for l in labels if l.split("  ")[0] == name]
print(f"largest directory {largest}: treemap label {hit[:1]} of {len(labels)} labels")
sys.exit(0 if hit else 1)
PY
size=$(stat -c %s "$work/report.html")
echo "PASS: report $size bytes; no request, no console message; treemap names $largest"
