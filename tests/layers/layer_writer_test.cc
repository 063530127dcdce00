#include <catch2/catch.hpp>

#include "core/base64.h"
#include "layers/layer_check.h"
#include "layers/tar_writer.h"
#include "layers/layer_tree.h"
#include "layers/windows_layer.h"
#include "tests/layers/layer_test_util.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;

namespace {

LayerOptions Windows(std::optional<int64_t> sde = std::nullopt) {
  LayerOptions o;
  o.flavor = LayerFlavor::kWindows;
  o.source_date_epoch = sde;
  return o;
}

struct Written {
  LayerResult result;
  std::string blob;
};

Written Write(const LayerOptions& o, const LayerTree& tree) {
  Written w;
  auto writer = LayerWriter::Create(o, std::make_unique<MemoryBlob>(&w.blob));
  REQUIRE(writer);
  auto s = tree.WriteTo(**writer);
  INFO((s ? "" : s.error().message));
  REQUIRE(s);
  auto r = (*writer)->Finish();
  REQUIRE(r);
  w.result = *r;
  return w;
}

// One entry of every Windows kind: files with Administrators and Users owners, attributes and
// a sub-second time, directory and file symlinks, a hard link, an ADS, a junction, a whiteout.
LayerTree EveryWindowsKind() {
  LayerTree tree(LayerFlavor::kWindows);
  EntryMeta admin;
  admin.windows_owner = windows::Owner::kAdministrators;
  admin.mtime = TarTime{1700000000, 123456789};
  REQUIRE(tree.AddData("Files/app/bin/tool.exe", "MZ...", admin));
  EntryMeta ro;
  ro.windows_attributes = windows::kAttrArchive | windows::kAttrReadOnly;
  REQUIRE(tree.AddData("Files/app/readme.txt", "read me", ro));
  REQUIRE(tree.AddSymlink("Files/app/current", "bin", {}, /*directory=*/true));
  REQUIRE(tree.AddSymlink("Files/app/tool", "bin/tool.exe"));
  REQUIRE(tree.AddHardLink("Files/app/tool2.exe", "Files/app/bin/tool.exe"));
  REQUIRE(tree.AddStream("Files/app/readme.txt", "Zone.Identifier", "[ZoneTransfer]"));
  REQUIRE(tree.AddJunction("Files/data", "c:/app/bin"));
  REQUIRE(tree.AddWhiteout("Files/old.dll"));
  return tree;
}

}  // namespace

TEST_CASE("the Windows security descriptors are the documented constants", "[unit]") {
  CHECK(core::Base64Encode(windows::SecurityDescriptor(windows::Owner::kUsers)) ==
        "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==");
  CHECK(core::Base64Encode(windows::SecurityDescriptor(windows::Owner::kAdministrators)) ==
        "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAgAgAAAQIAAAAAAAUgAAAAIAIAAA==");
  CHECK(windows::IsSelfRelativeSecurityDescriptor(windows::SecurityDescriptor(windows::Owner::kUsers)));
  CHECK_FALSE(windows::IsSelfRelativeSecurityDescriptor("\x01\x00\x00\x00"));
}

TEST_CASE("container paths map to Files/ names and escapes are refused", "[unit]") {
  CHECK(*windows::LayerNameFromContainerPath("C:\\app\\x.exe") == "Files/app/x.exe");
  CHECK(*windows::LayerNameFromContainerPath("c:/app/./sub/../x") == "Files/app/x");
  CHECK(*windows::LayerNameFromContainerPath("\\Windows") == "Files/Windows");
  CHECK(*windows::LayerNameFromContainerPath("C:\\") == "Files");
  CHECK_FALSE(windows::LayerNameFromContainerPath("D:\\x"));
  CHECK_FALSE(windows::LayerNameFromContainerPath("app\\x"));
  CHECK_FALSE(windows::LayerNameFromContainerPath("C:\\..\\x"));
  CHECK_FALSE(windows::LayerNameFromContainerPath("C:\\a:b"));
  CHECK_FALSE(windows::LayerNameFromContainerPath("\\\\server\\share"));
  CHECK(windows::SymlinkTargetFromPosix("../lib/x") == "..\\lib\\x");
  CHECK(windows::SymlinkTargetFromPosix("/app/bin") == "C:\\app\\bin");
  CHECK(windows::FoldCase("Files/ÄbC.txt") == windows::FoldCase("FILES/äBc.TXT"));
  // The ASCII prefix is folded in place, the rest code point by code point.
  CHECK(windows::FoldCase("files/app~1/x.y") == "FILES/APP~1/X.Y");
  CHECK(windows::FoldCase("ab/äö/cd") == "AB/ÄÖ/CD");
  CHECK(windows::FoldCase("") == "");
  CHECK(windows::FoldCase("z\xff{") == "Z\xff{");  // not UTF-8: the byte is kept as is
}

TEST_CASE("a Windows layer round-trips attributes, descriptors, times and link targets",
          "[unit]") {
  LayerTree tree = EveryWindowsKind();
  auto w = Write(Windows(1800000000), tree);
  auto entries = ReadLayer(w.blob);
  CHECK(Names(entries) == std::vector<std::string>{
                              "Files", "Hives", "Files/.wh.old.dll", "Files/app", "Files/app/bin",
                              "Files/app/bin/tool.exe", "Files/app/current",
                              "Files/app/readme.txt", "Files/app/readme.txt:Zone.Identifier",
                              "Files/app/tool", "Files/app/tool2.exe", "Files/data"});
  auto by = [&](const std::string& n) -> const ReadEntry& {
    for (const auto& e : entries)
      if (e.entry.name == n) return e;
    FAIL("no entry " << n);
    return entries[0];
  };
  const auto& exe = by("Files/app/bin/tool.exe");
  CHECK(exe.data == "MZ...");
  CHECK(exe.entry.win_attributes == 32u);
  CHECK(exe.entry.win_security_descriptor ==
        windows::SecurityDescriptor(windows::Owner::kAdministrators));
  CHECK(exe.entry.mtime == TarTime{1700000000, 123456700});  // 100 ns FILETIME ticks
  CHECK(exe.entry.atime == exe.entry.mtime);
  CHECK(exe.entry.ctime == exe.entry.mtime);
  CHECK(exe.entry.creation_time == exe.entry.mtime);
  CHECK(by("Files/app/readme.txt").entry.win_attributes == 33u);
  CHECK(by("Files/app/readme.txt").entry.win_security_descriptor ==
        windows::SecurityDescriptor(windows::Owner::kUsers));
  CHECK(by("Files/app").entry.win_attributes == 16u);
  CHECK(by("Files/app").entry.mtime == TarTime{1800000000, 0});  // synthesised: SDE
  const auto& dirlink = by("Files/app/current").entry;
  CHECK(dirlink.type == EntryType::kSymlink);
  CHECK(dirlink.win_attributes == 0x410u);
  const auto& filelink = by("Files/app/tool").entry;
  CHECK(filelink.linkname == "bin\\tool.exe");
  CHECK(filelink.win_attributes == 0x420u);
  const auto& hard = by("Files/app/tool2.exe").entry;
  CHECK(hard.type == EntryType::kHardLink);
  CHECK(hard.linkname == "Files/app/bin/tool.exe");
  CHECK(hard.win_security_descriptor.empty());
  const auto& junction = by("Files/data").entry;
  CHECK(junction.type == EntryType::kSymlink);
  CHECK(junction.linkname == "C:\\app\\bin");
  CHECK(junction.win_mountpoint);
  CHECK(junction.win_attributes == 0x410u);
  CHECK_FALSE(dirlink.win_mountpoint);
  const auto& ads = by("Files/app/readme.txt:Zone.Identifier");
  CHECK(ads.data == "[ZoneTransfer]");
  CHECK_FALSE(ads.entry.win_attributes);
  CHECK_FALSE(by("Files/.wh.old.dll").entry.win_attributes);
  core::StringReader in(w.blob);
  auto tar = NewDecompressor(in);
  auto report = CheckWindowsLayer(**tar);
  REQUIRE(report);
  INFO(report->ErrorsText());
  CHECK(report->violations.empty());
  CHECK(report->entries == 12);
}

TEST_CASE("python's tarfile reads every Windows record of our layers with the exact values",
          "[integration]") {
  LayerTree tree = EveryWindowsKind();
  testing::TempDir dir;
  testing::WriteFile(dir / "w.tar.gz", Write(Windows(1800000000), tree).blob);
  // One line per member: name type linkname, each Windows/time record or '-', ustar mtime.
  // As Go's archive/tar (and so hcs) writes them, mtime is a PAX record only when it has a
  // fraction; whiteouts and streams carry no Windows records.
  auto py = testing::Run(
      {"python3", "-c",
       "import sys, tarfile\n"
       "for m in tarfile.open(sys.argv[1]).getmembers():\n"
       "  h = m.pax_headers\n"
       "  keys = ['MSWINDOWS.fileattr', 'MSWINDOWS.rawsd', 'MSWINDOWS.mountpoint',\n"
       "          'LIBARCHIVE.creationtime', 'mtime', 'atime', 'ctime']\n"
       "  print(m.name, m.type.decode(), m.linkname or '-', *[h.get(k, '-') for k in keys],\n"
       "        int(m.mtime))\n",
       (dir / "w.tar.gz").string()});
  INFO(py.err);
  REQUIRE(py.exit_code == 0);
  const std::string u = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";
  const std::string a = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAgAgAAAQIAAAAAAAUgAAAAIAIAAA==";
  const std::string sde = " 1800000000 - 1800000000 1800000000 1800000000\n";
  const std::string t = " 1700000000.1234567 1700000000.1234567 1700000000.1234567 "
                        "1700000000.1234567 1700000000\n";
  CHECK(py.out ==
        "Files 5 - 16 - -" + sde +                                          // hcs: roots
        "Hives 5 - 16 - -" + sde +                                          // without rawsd
        "Files/.wh.old.dll 0 - - - - - - - - 1800000000\n" +                           // hcs: name only
        "Files/app 5 - 16 " + u + " -" + sde +                              //
        "Files/app/bin 5 - 16 " + u + " -" + sde +                          //
        "Files/app/bin/tool.exe 0 - 32 " + a + " -" + t +                   // Administrators
        "Files/app/current 2 bin 1040 " + u + " -" + sde +                  // dir symlink
        "Files/app/readme.txt 0 - 33 " + u + " -" + sde +                   //
        "Files/app/readme.txt:Zone.Identifier 0 - - - - - - - - 1800000000\n" +  // ADS
        "Files/app/tool 2 bin\\tool.exe 1056 " + u + " -" + sde +            // file symlink
        "Files/app/tool2.exe 1 Files/app/bin/tool.exe 32 - -" + sde +       // no rawsd
        "Files/data 2 C:\\app\\bin 1040 " + u + " 1" + sde);                // junction
}

TEST_CASE("the same tree added in another order with later mtimes gives the same digests",
          "[unit]") {
  for (LayerFlavor flavor : {LayerFlavor::kLinux, LayerFlavor::kWindows}) {
    std::string p = flavor == LayerFlavor::kWindows ? "Files/" : "";
    auto build = [&](bool reverse, int64_t mtime) {
      LayerTree tree(flavor);
      std::vector<std::string> names = {p + "b/z.txt", p + "a.txt", p + "b/c/d.txt", p + "b/a"};
      if (reverse) std::reverse(names.begin(), names.end());
      EntryMeta m;
      m.mtime = TarTime{mtime, 5};
      for (const auto& n : names) REQUIRE(tree.AddData(n, "content of " + n, m));
      LayerOptions o;
      o.flavor = flavor;
      o.source_date_epoch = 1600000000;
      return Write(o, tree).result;
    };
    auto one = build(false, 1700000000), two = build(true, 1900000000);
    CHECK(one.diff_id == two.diff_id);
    CHECK(one.blob.digest == two.blob.digest);
    auto old = build(false, 1500000000);  // before the clamp: kept, so different
    CHECK(old.diff_id != one.diff_id);
  }
}

TEST_CASE("the tree refuses unsafe and colliding destinations", "[unit]") {
  LayerTree win(LayerFlavor::kWindows);
  CHECK_FALSE(win.AddData("Files/../x", ""));
  CHECK_FALSE(win.AddData("/Files/x", ""));
  CHECK_FALSE(win.AddData("Files/a:b", ""));
  CHECK_FALSE(win.AddData("Other/x", ""));
  CHECK_FALSE(win.AddData("Files/a\\b", ""));
  REQUIRE(win.AddData("Files/App/x.txt", "1"));
  REQUIRE(win.AddData("Files/app/y.txt", "2"));  // same directory, other spelling
  auto clash = win.AddData("Files/APP/X.TXT", "3");
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message ==
        "\"Files/APP/X.TXT\" collides with \"Files/App/x.txt\" (Windows names are case-insensitive)");
  REQUIRE(win.AddData("Files/App/x.txt", "replaced"));  // same spelling: last one wins
  CHECK_FALSE(win.AddData("Files/App", "file over a directory with entries"));
  CHECK_FALSE(win.AddOpaque("Files/App"));
  CHECK_FALSE(win.AddJunction("Files/j", "app\\bin"));  // junctions are absolute
  CHECK_FALSE(win.AddJunction("Files/j", "D:\\data"));
  CHECK_FALSE(win.AddJunction("Files/j", "C:\\..\\x"));
  LayerTree lin(LayerFlavor::kLinux);
  CHECK_FALSE(lin.AddData("../etc/passwd", ""));
  CHECK_FALSE(lin.AddData("/etc/passwd", ""));
  CHECK_FALSE(lin.AddData("a//b", ""));
  CHECK_FALSE(lin.AddJunction("j", "C:\\x"));
  REQUIRE(lin.AddData("A", "1"));
  REQUIRE(lin.AddData("a", "2"));  // Linux is case-sensitive
  CHECK(lin.size() == 2);
}

TEST_CASE("stream mode validates Windows ordering and uniqueness as entries arrive", "[unit]") {
  std::string blob;
  auto w = LayerWriter::Create(Windows(), std::make_unique<MemoryBlob>(&blob));
  REQUIRE(w);
  TarEntry dir;
  dir.type = EntryType::kDirectory;
  dir.name = "Files/a";
  TarEntry file;
  file.name = "Files/b/c.txt";
  auto orphan = (*w)->Add(file, nullptr);
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error().message.find("[1.7.1 parent-before-child] parent directory \"Files/b\" has "
                                    "no entry before this one") != std::string::npos);
  REQUIRE((*w)->Add(dir, nullptr));
  dir.name = "Files/A";
  auto dup = (*w)->Add(dir, nullptr);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("1.7.2 duplicate") != std::string::npos);
  file.name = "Files/a/x:stream";
  CHECK_FALSE((*w)->Add(file, nullptr));  // ADS without its file right before
  file.name = "Hives/.wh.x";
  auto wh = (*w)->Add(file, nullptr);
  REQUIRE_FALSE(wh);
  CHECK(wh.error().message.find("whiteouts belong only under Files/") != std::string::npos);
  TarEntry link;
  link.type = EntryType::kHardLink;
  link.name = "Files/a/l";
  link.linkname = "Hives/x";
  CHECK_FALSE((*w)->Add(link, nullptr));
  TarEntry files_root;
  files_root.type = EntryType::kDirectory;
  files_root.name = "Files";
  CHECK_FALSE((*w)->Add(files_root, nullptr));  // the writer emits it itself
  auto r = (*w)->Finish();
  REQUIRE(r);
  CHECK(Names(ReadLayer(blob)) == std::vector<std::string>{"Files", "Hives", "Files/a"});
}

TEST_CASE("the checker reports every ordering and uniqueness breach with entry names", "[unit]") {
  // Written with rules off (emit_windows_roots=false, Linux flavour writer cannot be used), so
  // build the tar by hand.
  core::StringWriter out;
  TarWriter tw(out);
  auto add = [&](EntryType t, std::string name, std::string link = "") {
    TarEntry e;
    e.type = t;
    e.name = std::move(name);
    e.linkname = std::move(link);
    REQUIRE(tw.WriteHeader(e));
  };
  add(EntryType::kFile, "Files/orphan/x");             // 1: before Files, parent missing
  add(EntryType::kDirectory, "Files");                 // 2
  add(EntryType::kDirectory, "files");                 // 3: duplicate by case
  add(EntryType::kFile, "Files/a");                    // 4
  add(EntryType::kFile, "Files/b");                    // 5
  add(EntryType::kFile, "Files/a:ads");                // 6: not right after Files/a
  add(EntryType::kHardLink, "Files/h", "Files/later"); // 7: fine in a non-base layer
  add(EntryType::kFile, "Files/later");                // 8
  add(EntryType::kFile, "Hives/.wh.x");                // 9: parent missing, whiteout outside Files
  add(EntryType::kFile, "Other");                      // 10: bad prefix
  add(EntryType::kFile, "Files/../../etc/passwd");     // 11: unsafe
  TarEntry junction;                                   // 12: junction, not a directory
  junction.type = EntryType::kSymlink;
  junction.name = "Files/j";
  junction.linkname = "C:\\x";
  junction.win_mountpoint = true;
  junction.win_attributes = windows::kAttrReparsePoint;
  REQUIRE(tw.WriteHeader(junction));
  REQUIRE(tw.Finish());
  core::StringReader in(out.data());
  auto report = CheckWindowsLayer(in, {/*base_layer=*/true});
  REQUIRE(report);
  CHECK_FALSE(report->ok());
  INFO(report->ErrorsText());
  std::vector<std::pair<uint64_t, std::string>> errors;
  for (const auto& v : report->violations)
    if (v.severity == Violation::Severity::kError) errors.emplace_back(v.index, v.rule);
  CHECK(errors == std::vector<std::pair<uint64_t, std::string>>{
                      {1, "1.7.1 parent-before-child"},
                      {3, "1.7.5 path-prefix"},
                      {3, "1.7.2 duplicate"},
                      {6, "1.7.3 ads-order"},
                      {7, "1.7.3 hardlink-order"},
                      {9, "1.7.1 parent-before-child"},
                      {9, "1.7.5 whiteout-location"},
                      {9, "1.7.5 whiteout-location"},
                      {10, "1.7.5 path-prefix"},
                      {10, "1.7.1 parent-before-child"},
                      {11, "1.2 unsafe-name"},
                      {12, "1.5 junction"}});
  CHECK(report->ErrorsText().find("entry 3 \"files\": [1.7.2 duplicate]") != std::string::npos);
}

TEST_CASE("host files added with the caller's stat but no size are written whole", "[unit]") {
  testing::TempDir dir;
  std::string bytes(100000, 'b');
  testing::WriteFile(dir / "f", bytes);
  HostFileInfo info;  // as the builder's COPY passes it: mode, time, inode, no size
  info.mode = 0100755;
  info.mtime = TarTime{1600000000, 0};
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(tree.AddFile("bin/f", (dir / "f").string(), {}, info));
  info.size = 10;  // a size seen by the caller is what is written
  REQUIRE(tree.AddFile("bin/g", (dir / "f").string(), {}, info));
  auto entries = ReadLayer(Write({}, tree).blob);
  REQUIRE(entries.size() == 3);
  CHECK(entries[1].entry.name == "bin/f");
  CHECK(entries[1].data == bytes);
  CHECK(entries[1].entry.mode == 0755);
  CHECK(entries[2].data == bytes.substr(0, 10));
}

TEST_CASE("the builtin descriptors are BuildKit's bytes", "[unit]") {
  // BuildKit's constants for files and directories (util/winlayers/differ.go,
  // addSecurityDescriptor); kiln builds them from their SDDL.
  CHECK(core::Base64Encode(windows::BuiltinFileDescriptor()) ==
        "AQAEgBQAAAAkAAAAAAAAADAAAAABAgAAAAAABSAAAAAgAgAAAQEAAAAAAAUSAAAAAgBMAAMAAAAAABgA/wEfAAEC"
        "AAAAAAAFIAAAACACAAAAABQA/wEfAAEBAAAAAAAFEgAAAAAAGACpABIAAQIAAAAAAAUgAAAAIQIAAA==");
  CHECK(core::Base64Encode(windows::BuiltinDirectoryDescriptor()) ==
        "AQAEgBQAAAAkAAAAAAAAADAAAAABAgAAAAAABSAAAAAgAgAAAQEAAAAAAAUSAAAAAgCoAAcAAAAAAxgA/wEfAAEC"
        "AAAAAAAFIAAAACACAAAAAxQA/wEfAAEBAAAAAAAFEgAAAAAAGAD/AR8AAQIAAAAAAAUgAAAAIAIAAAALFAAAAAAQ"
        "AQEAAAAAAAMAAAAAAAMYAKkAEgABAgAAAAAABSAAAAAhAgAAAAIYAAQAAAABAgAAAAAABSAAAAAhAgAAAAIYAAIA"
        "AAABAgAAAAAABSAAAAAhAgAA");
  CHECK(windows::IsSelfRelativeSecurityDescriptor(windows::BuiltinFileDescriptor()));
  CHECK(windows::IsSelfRelativeSecurityDescriptor(windows::BuiltinDirectoryDescriptor()));
  CHECK(*windows::ParseAcl("users") == windows::Acl::kUsers);
  CHECK(*windows::ParseAcl("builtin") == windows::Acl::kBuiltin);
  CHECK_FALSE(windows::ParseAcl("Users"));
}

// hcsshim's exporter (pkg/ociwclayer/export.go, internal/wclayer/legacy.go) writes the Files
// and Hives roots and every Hives/* entry without rawsd, whiteouts with no PAX records at all.
TEST_CASE("roots, hives and whiteouts carry no descriptor, whichever ACL is chosen", "[unit]") {
  for (auto acl : {windows::Acl::kUsers, windows::Acl::kBuiltin}) {
    bool builtin = acl == windows::Acl::kBuiltin;
    INFO((builtin ? "builtin" : "users"));
    LayerOptions o = Windows(1800000000);
    o.windows_acl = acl;
    auto w = Write(o, EveryWindowsKind());
    auto entries = ReadLayer(w.blob);
    for (const auto& e : entries) {
      const TarEntry& t = e.entry;
      INFO(t.name);
      if (t.name == "Files" || t.name == "Hives") {
        CHECK(t.win_security_descriptor.empty());
        CHECK(t.win_attributes == 16u);
      } else if (t.name == "Files/.wh.old.dll") {
        CHECK(t.win_security_descriptor.empty());
        CHECK_FALSE(t.win_attributes);
        CHECK_FALSE(t.creation_time);
        CHECK_FALSE(t.atime);
        CHECK_FALSE(t.ctime);
        CHECK(t.pax_extra.empty());
      } else if (t.type == EntryType::kHardLink || t.name.find(':') != std::string::npos) {
        CHECK(t.win_security_descriptor.empty());
      } else if (t.type == EntryType::kDirectory ||
                 (t.win_attributes && (*t.win_attributes & windows::kAttrDirectory))) {
        CHECK(t.win_security_descriptor == (builtin ? windows::BuiltinDirectoryDescriptor()
                                                    : windows::SecurityDescriptor(
                                                          windows::Owner::kUsers)));
      } else if (t.name == "Files/app/bin/tool.exe") {  // added with the Administrators owner
        CHECK(t.win_security_descriptor ==
              (builtin ? windows::BuiltinFileDescriptor()
                       : windows::SecurityDescriptor(windows::Owner::kAdministrators)));
      } else {
        CHECK(t.win_security_descriptor == (builtin ? windows::BuiltinFileDescriptor()
                                                    : windows::SecurityDescriptor(
                                                          windows::Owner::kUsers)));
      }
    }
    // The checker agrees: no "no MSWINDOWS.rawsd" warning for entries Microsoft writes so.
    core::StringReader in(w.blob);
    auto tar = NewDecompressor(in);
    REQUIRE(tar);
    auto report = CheckWindowsLayer(**tar);
    REQUIRE(report);
    for (const auto& v : report->violations) FAIL_CHECK(v.ToString());
  }

  // Stream mode, as a RUN diff arrives (ExportLayer brings its own roots and hive deltas).
  std::string blob;
  LayerOptions o = Windows();
  o.emit_windows_roots = false;
  auto writer = LayerWriter::Create(o, std::make_unique<MemoryBlob>(&blob));
  REQUIRE(writer);
  for (const char* dir : {"Files", "Hives"}) {
    TarEntry d;
    d.name = dir;
    d.type = EntryType::kDirectory;
    REQUIRE((*writer)->Add(d, nullptr));
  }
  TarEntry hive;
  hive.name = "Hives/Software_Delta";
  hive.size = 4;
  core::StringReader data("regf");
  REQUIRE((*writer)->Add(hive, &data));
  REQUIRE((*writer)->Finish());
  for (const auto& e : ReadLayer(blob)) {
    INFO(e.entry.name);
    CHECK(e.entry.win_security_descriptor.empty());
    CHECK(e.entry.win_attributes);
  }
}
