#!/usr/bin/env bash
# kiln layer create: reproducible digests whatever the creation order and mtimes past
# SOURCE_DATE_EPOCH; GNU tar lists our layers without warnings (Windows layers: apart from the
# vendor keywords GNU tar does not know); python's tarfile reads every MSWINDOWS.* record with
# the documented values; kiln layer check accepts what kiln writes and rejects a broken layer.
set -euo pipefail
kiln=${1:?kiln binary}
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The same tree twice: files created in opposite orders, with different mtimes (all later than
# SOURCE_DATE_EPOCH), in different directories (so inode and readdir order differ).
make_tree() {  # dir order
  mkdir -p "$1"
  local names=(b/z.txt a.txt "b/c/d e.txt" b/a.bin "ü/ñ.txt" "$(printf 'L%.0s' {1..150})")
  if [ "$2" = reverse ]; then mapfile -t names < <(printf '%s\n' "${names[@]}" | tac); fi
  for n in "${names[@]}"; do
    mkdir -p "$1/$(dirname "$n")"
    printf 'content of %s\n' "$n" > "$1/$n"
  done
  ln -s a.txt "$1/link"
  chmod 0755 "$1/a.txt"
}
make_tree "$t/one" forward
make_tree "$t/two" reverse
find "$t/one" -exec touch -h -d '2030-01-01 00:00:00' {} +
find "$t/two" -exec touch -h -d '2031-06-01 12:34:56.789' {} +
for format in linux windows; do
  for c in gzip zstd; do
    d1=$(SOURCE_DATE_EPOCH=1700000000 "$kiln" layer create --format $format --compression $c -o "$t/1.blob" "$t/one")
    d2=$(SOURCE_DATE_EPOCH=1700000000 "$kiln" layer create --format $format --compression $c -o "$t/2.blob" "$t/two")
    [ "$d1" = "$d2" ] || fail "$format/$c digests differ: $d1 vs $d2"
    cmp -s "$t/1.blob" "$t/2.blob" || fail "$format/$c blobs differ"
  done
done

# GNU tar: no warnings at all for Linux layers.
"$kiln" layer create --format linux --compression none -o "$t/l.tar" "$t/one" >/dev/null
LC_ALL=C.UTF-8 tar -tvf "$t/l.tar" >"$t/list" 2>"$t/err" || fail "GNU tar failed on a Linux layer"
[ ! -s "$t/err" ] || { cat "$t/err"; fail "GNU tar warned on a Linux layer"; }
grep -q 'a.txt' "$t/list" || fail "GNU tar listing lacks a.txt"
# Windows layers: only the unknown-keyword notices for MSWINDOWS.*/LIBARCHIVE.creationtime.
"$kiln" layer create --format windows --compression none -o "$t/w.tar" "$t/one" >/dev/null
LC_ALL=C.UTF-8 tar --warning=no-unknown-keyword -tvf "$t/w.tar" >"$t/list" 2>"$t/err" ||
  fail "GNU tar failed on a Windows layer"
[ ! -s "$t/err" ] || { cat "$t/err"; fail "GNU tar warned on a Windows layer"; }
LC_ALL=C.UTF-8 tar -tf "$t/w.tar" 2>&1 >/dev/null | grep -v "Ignoring unknown extended header keyword '\(MSWINDOWS\.fileattr\|MSWINDOWS\.rawsd\|LIBARCHIVE\.creationtime\)'" \
  && fail "GNU tar printed another warning"

# Python's tarfile: every MSWINDOWS.* record with the exact values.
python3 - "$t/w.tar" <<'PY' || fail "python tarfile check"
import sys, tarfile
users = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA=="
t = tarfile.open(sys.argv[1])
ms = t.getmembers()
assert [m.name for m in ms[:2]] == ["Files", "Hives"], [m.name for m in ms[:3]]
seen = set()
for m in ms:
    h = m.pax_headers
    assert not m.name.endswith("/"), m.name
    # hcsshim's exporter writes the Files and Hives roots without rawsd; so does kiln.
    if m.name in ("Files", "Hives"):
        assert "MSWINDOWS.rawsd" not in h, (m.name, h)
    else:
        assert h["MSWINDOWS.rawsd"] == users, (m.name, h)
    want = {tarfile.DIRTYPE: "16", tarfile.REGTYPE: "32", tarfile.SYMTYPE: "1056"}[m.type]
    assert h["MSWINDOWS.fileattr"] == want, (m.name, h["MSWINDOWS.fileattr"])
    for k in ("LIBARCHIVE.creationtime", "atime", "ctime"):
        assert h[k] == h.get("mtime", str(int(m.mtime))), (m.name, k, h)
    if m.issym():
        assert m.linkname == "a.txt", m.linkname
    seen.add(m.name)
assert "Files/ü/ñ.txt" in seen and "Files/b/c/d e.txt" in seen, seen
assert any(len(n) > 150 for n in seen)
PY

"$kiln" layer check "$t/w.tar" | grep -q "0 errors, 0 warnings" || fail "kiln layer check on our layer"

# --windows-acl builtin: BuildKit's descriptors (util/winlayers/differ.go), files and directories.
"$kiln" layer create --format windows --windows-acl builtin --compression none -o "$t/b.tar" "$t/one" >/dev/null
python3 - "$t/b.tar" <<'PY' || fail "python tarfile check (builtin ACL)"
import sys, tarfile
f = ("AQAEgBQAAAAkAAAAAAAAADAAAAABAgAAAAAABSAAAAAgAgAAAQEAAAAAAAUSAAAAAgBMAAMAAAAAABgA/wEfAAECAAAAAAAF"
     "IAAAACACAAAAABQA/wEfAAEBAAAAAAAFEgAAAAAAGACpABIAAQIAAAAAAAUgAAAAIQIAAA==")
d = ("AQAEgBQAAAAkAAAAAAAAADAAAAABAgAAAAAABSAAAAAgAgAAAQEAAAAAAAUSAAAAAgCoAAcAAAAAAxgA/wEfAAECAAAAAAAF"
     "IAAAACACAAAAAxQA/wEfAAEBAAAAAAAFEgAAAAAAGAD/AR8AAQIAAAAAAAUgAAAAIAIAAAALFAAAAAAQAQEAAAAAAAMAAAAA"
     "AAMYAKkAEgABAgAAAAAABSAAAAAhAgAAAAIYAAQAAAABAgAAAAAABSAAAAAhAgAAAAIYAAIAAAABAgAAAAAABSAAAAAhAgAA")
kinds = set()
for m in tarfile.open(sys.argv[1]).getmembers():
    h = m.pax_headers
    if m.name in ("Files", "Hives"):
        assert "MSWINDOWS.rawsd" not in h, (m.name, h)
        continue
    assert h["MSWINDOWS.rawsd"] == (d if m.isdir() else f), (m.name, h)
    kinds.add(m.type)
assert kinds >= {tarfile.DIRTYPE, tarfile.REGTYPE}, kinds
PY
"$kiln" layer check "$t/b.tar" | grep -q "0 errors, 0 warnings" || fail "kiln layer check on a builtin-ACL layer"
# A layer whose file comes before its directory: the checker names the entry and exits 1.
mkdir -p "$t/bad/Files/dir"; echo x > "$t/bad/Files/dir/f"
tar --format=pax -cf "$t/bad.tar" -C "$t/bad" Files/dir/f Files Files/dir
if "$kiln" layer check "$t/bad.tar" > "$t/out"; then fail "broken layer accepted"; fi
grep -q 'entry 1 "Files/dir/f": \[1.7.1 parent-before-child\]' "$t/out" || { cat "$t/out"; fail "no parent-before-child"; }
grep -q 'entry 2 "Files/": \[1.2 trailing-slash\]' "$t/out" || { cat "$t/out"; fail "no trailing-slash"; }
# A Windows layer carries no host permission bits: a Windows host has no exec bit to report, so
# a Linux host's 0755 file (W1's .exe files) must give the same layer as a 0644 one, and a
# private directory the same as a 0755 one (the files keep 0644, directories 0755).
mkdir -p "$t/m1/d" "$t/m2/d"
echo x > "$t/m1/d/app.exe"; echo x > "$t/m2/d/app.exe"
chmod 0755 "$t/m1/d/app.exe"; chmod 0644 "$t/m2/d/app.exe"; chmod 0700 "$t/m1/d"; chmod 0755 "$t/m2/d"
touch -d '2030-01-01 00:00:00' "$t/m1/d/app.exe" "$t/m2/d/app.exe" "$t/m1/d" "$t/m2/d"
SOURCE_DATE_EPOCH=1700000000 "$kiln" layer create --format windows --compression none -o "$t/m1.tar" "$t/m1" > /dev/null
SOURCE_DATE_EPOCH=1700000000 "$kiln" layer create --format windows --compression none -o "$t/m2.tar" "$t/m2" > /dev/null
cmp -s "$t/m1.tar" "$t/m2.tar" || fail "host modes changed a Windows layer"
python3 - "$t/m1.tar" <<'PY' || fail "Windows layer modes"
import sys, tarfile
modes = {m.name: m.mode for m in tarfile.open(sys.argv[1])}
assert modes["Files/d"] == 0o755 and modes["Files/d/app.exe"] == 0o644, modes
PY
echo ok
