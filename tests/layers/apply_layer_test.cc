#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "layers/apply_layer.h"
#include "layers/compression.h"
#include "layers/host_tree.h"
#include "layers/layer_tree.h"
#include "layers/tar_writer.h"
#include "tests/layers/layer_test_util.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;
namespace fs = std::filesystem;

#define REQUIRE_OK(r)                                   \
  do {                                                  \
    auto&& ok_ = (r);                                   \
    INFO((ok_ ? std::string() : ok_.error().message)); \
    REQUIRE(ok_);                                       \
  } while (0)

namespace {

TarEntry E(EntryType t, std::string name, std::string link = "", uint64_t size = 0) {
  TarEntry e;
  e.type = t;
  e.name = std::move(name);
  e.linkname = std::move(link);
  e.size = size;
  e.mode = t == EntryType::kDirectory ? 0755 : 0644;
  e.mtime = {1600000000, 0};
  return e;
}

core::Result<ApplyReport> Apply(const std::string& tar, const fs::path& root,
                                ApplyOptions o = {}) {
  core::StringReader in(tar);
  return ApplyLayer(in, root.string(), o);
}

std::string Blob(const LayerTree& tree, LayerOptions o = {}) {
  std::string blob;
  auto w = LayerWriter::Create(o, std::make_unique<MemoryBlob>(&blob));
  REQUIRE(w);
  REQUIRE(tree.WriteTo(**w));
  REQUIRE((*w)->Finish());
  return blob;
}

// A sandbox: root/ is where layers go, outside/ must never change.
struct Sandbox {
  testing::TempDir dir;
  fs::path root = dir / "root";
  fs::path outside = dir / "outside";
  Sandbox() {
    fs::create_directories(root);
    fs::create_directories(outside);
    testing::WriteFile(outside / "keep", "untouched");
  }
  // Only root/, outside/ and outside/keep exist besides what is under root/.
  bool OutsideIntact() const {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(dir.path());
         it != fs::recursive_directory_iterator(); ++it) {
      std::string p = it->path().string();
      if (p != root.string() && !p.starts_with(root.string() + "/")) found.push_back(p);
      if (p == root.string()) it.disable_recursion_pending();
    }
    INFO(found.size());
    return found.size() == 2 && testing::ReadFile(outside / "keep") == "untouched";
  }
};

}  // namespace

TEST_CASE("a layer applied to a directory gives back its files, modes, links and times",
          "[unit]") {
  Sandbox s;
  fs::create_directories(s.dir / "src/a/b");
  testing::WriteFile(s.dir / "src/a/b/f", "data");
  chmod((s.dir / "src/a/b/f").c_str(), 0751);
  fs::create_symlink("b/f", s.dir / "src/a/link");
  fs::create_hard_link(s.dir / "src/a/b/f", s.dir / "src/hard");
  setxattr((s.dir / "src/a/b/f").c_str(), "user.kiln", "v", 1, 0);
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(AddHostTree(tree, (s.dir / "src").string(), ""));
  std::string blob = Blob(tree);
  core::StringReader in(blob);
  auto r = ApplyLayerBlob(in, s.root.string());
  REQUIRE_OK(r);
  CHECK(r->bytes == 4);
  CHECK(testing::ReadFile(s.root / "a/b/f") == "data");
  CHECK((fs::status(s.root / "a/b/f").permissions() & fs::perms::all) == static_cast<fs::perms>(0751));
  CHECK(fs::read_symlink(s.root / "a/link") == "b/f");
  CHECK(fs::equivalent(s.root / "hard", s.root / "a/b/f"));
  char v[4] = {};
  CHECK(getxattr((s.root / "a/b/f").c_str(), "user.kiln", v, sizeof v) == 1);
  struct stat st;
  REQUIRE(stat((s.dir / "src/a/b").c_str(), &st) == 0);
  struct stat got;
  REQUIRE(stat((s.root / "a/b").c_str(), &got) == 0);
  CHECK(got.st_mtim.tv_sec == st.st_mtim.tv_sec);  // directory times set after their children
}

namespace {
// A Linux layer deleting etc/gone, making etc/old opaque (with a new etc/old/2) and deleting a
// file that never existed.
std::string WhiteoutBlob() {
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(tree.AddWhiteout("etc/gone"));
  REQUIRE(tree.AddOpaque("etc/old"));
  REQUIRE(tree.AddData("etc/old/2", "new"));
  REQUIRE(tree.AddWhiteout("etc/never-existed"));
  return Blob(tree);
}
}  // namespace

TEST_CASE("whiteouts and opaque directories delete lower files", "[unit]") {
  Sandbox s;
  fs::create_directories(s.root / "etc/old");
  testing::WriteFile(s.root / "etc/gone", "x");
  testing::WriteFile(s.root / "etc/old/1", "x");
  testing::WriteFile(s.root / "etc/kept", "x");
  std::string blob = WhiteoutBlob();
  core::StringReader in(blob);
  REQUIRE_OK(ApplyLayerBlob(in, s.root.string()));
  CHECK_FALSE(fs::exists(s.root / "etc/gone"));
  CHECK_FALSE(fs::exists(s.root / "etc/old/1"));
  CHECK(testing::ReadFile(s.root / "etc/old/2") == "new");
  CHECK(fs::exists(s.root / "etc/kept"));
}

TEST_CASE("in overlay mode whiteouts become 0/0 devices and opaque dirs get the xattr (needs root)",
          "[integration]") {
  INFO("needs root: mknod of a 0/0 character device and trusted.* xattrs; run the integration "
       "tests as root");
  REQUIRE(geteuid() == 0);
  Sandbox o;
  std::string blob = WhiteoutBlob();
  core::StringReader again(blob);
  REQUIRE(ApplyLayerBlob(again, o.root.string(), {LayerFlavor::kLinux, WhiteoutMode::kOverlay}));
  struct stat st;
  REQUIRE(lstat((o.root / "etc/gone").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  char v[2] = {};
  CHECK(getxattr((o.root / "etc/old").c_str(), "trusted.overlay.opaque", v, 1) == 1);
  CHECK(v[0] == 'y');
}

TEST_CASE("a Windows layer unpacks Files/ to the root and skips Hives and streams", "[unit]") {
  Sandbox s;
  LayerTree tree(LayerFlavor::kWindows);
  REQUIRE(tree.AddData("Files/app/x.exe", "MZ"));
  REQUIRE(tree.AddStream("Files/app/x.exe", "Zone.Identifier", "zone"));
  REQUIRE(tree.AddSymlink("Files/app/cur", "C:\\app\\x.exe"));
  REQUIRE(tree.AddData("Hives/Software_Delta", "regf"));
  LayerOptions o;
  o.flavor = LayerFlavor::kWindows;
  std::string blob = Blob(tree, o);
  core::StringReader in(blob);
  auto r = ApplyLayerBlob(in, s.root.string(), {LayerFlavor::kWindows});
  REQUIRE_OK(r);
  CHECK(testing::ReadFile(s.root / "app/x.exe") == "MZ");
  CHECK(fs::read_symlink(s.root / "app/cur") == "/app/x.exe");
  CHECK_FALSE(fs::exists(s.root / "Hives"));
  CHECK_FALSE(fs::exists(s.root / "Software_Delta"));
  CHECK(r->skipped == 4);  // Files, Hives, the stream, Hives/Software_Delta
}

TEST_CASE("hostile layers fail clearly and write nothing outside the root", "[unit]") {
  struct Case {
    const char* what;
    std::function<std::vector<std::pair<TarEntry, std::string>>(const fs::path& outside)> entries;
    const char* error;
  };
  using V = std::vector<std::pair<TarEntry, std::string>>;
  std::vector<Case> cases = {
      {"dot-dot", [](auto&) { return V{{E(EntryType::kFile, "../outside/keep", "", 3), "bad"}}; },
       "unsafe name: '..' component"},
      {"deep dot-dot",
       [](auto&) { return V{{E(EntryType::kFile, "a/../../outside/x", "", 3), "bad"}}; },
       "'..' component"},
      {"absolute", [](auto& out) { return V{{E(EntryType::kFile, (out / "x").string(), "", 3), "bad"}}; },
       "absolute name"},
      {"symlink then file through it",
       [](auto&) {
         return V{{E(EntryType::kSymlink, "esc", "../outside"), ""},
                  {E(EntryType::kFile, "esc/keep", "", 3), "bad"}};
       },
       "goes through \"esc\", a symlink of this layer"},
      {"absolute symlink then file through it",
       [](auto& out) {
         return V{{E(EntryType::kSymlink, "esc", out.string()), ""},
                  {E(EntryType::kDirectory, "esc/sub"), ""}};
       },
       "a symlink of this layer"},
      {"hard link out", [](auto&) { return V{{E(EntryType::kHardLink, "h", "../outside/keep"), ""}}; },
       "'..' component"},
      {"hard link absolute",
       [](auto& out) { return V{{E(EntryType::kHardLink, "h", (out / "keep").string()), ""}}; },
       "absolute name"},
      {"hard link to a missing file",
       [](auto&) { return V{{E(EntryType::kHardLink, "h", "nothing"), ""}}; },
       "cannot link to nothing"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Sandbox s;
    auto r = Apply(WriteTar(c.entries(s.outside)), s.root);
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find(c.error) != std::string::npos);
    CHECK(r.error().message.find("layer entry ") == 0);
    CHECK(s.OutsideIntact());
  }
}

TEST_CASE("symlinks of lower layers are resolved inside the root, never outside", "[unit]") {
  Sandbox s;
  // A lower layer left these; the new layer writes through them as an image would.
  fs::create_symlink(s.outside, s.root / "abs");        // absolute, pointing out of the root
  fs::create_symlink("../../outside", s.root / "rel");  // relative, climbing out
  fs::create_directories(s.root / s.outside.relative_path());  // their in-root counterparts
  fs::create_directories(s.root / "outside");
  auto r = Apply(WriteTar({{E(EntryType::kFile, "abs/x", "", 2), "in"},
                         {E(EntryType::kFile, "rel/y", "", 2), "in"},
                         {E(EntryType::kHardLink, "h", "abs/x"), ""}}),
                 s.root);
  REQUIRE_OK(r);
  CHECK(s.OutsideIntact());
  // "/<outside>" inside the root, and "../../outside" clamped at the root.
  CHECK(testing::ReadFile(s.root / s.outside.relative_path() / "x") == "in");
  CHECK(testing::ReadFile(s.root / "outside/y") == "in");
  CHECK(fs::equivalent(s.root / "h", s.root / s.outside.relative_path() / "x"));
  // A lower symlink whose in-root target is missing: an error, not a directory elsewhere.
  Sandbox d;
  fs::create_symlink(d.outside, d.root / "dangling");
  auto dangling = Apply(WriteTar({{E(EntryType::kFile, "dangling/x", "", 2), "in"}}), d.root);
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().message.find("a symlink to a missing directory") != std::string::npos);
  CHECK(d.OutsideIntact());
}

TEST_CASE("entries over lower symlinks replace the links and never touch their targets",
          "[unit]") {
  Sandbox s;
  // A lower layer left absolute symlinks to a file and to a directory outside the root.
  fs::create_symlink(s.outside / "keep", s.root / "file");
  fs::create_symlink(s.outside, s.root / "dir");
  fs::create_symlink(s.outside / "keep", s.root / "gone");
  fs::create_symlink(s.outside / "keep", s.root / "linked");
  fs::permissions(s.outside, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  TarEntry dir = E(EntryType::kDirectory, "dir");
  dir.mode = 0700;
  dir.mtime = {1000, 0};
  TarEntry file = E(EntryType::kFile, "file", "", 2);
  file.mode = 0600;
  auto r = Apply(WriteTar({{dir, ""},
                           {file, "in"},
                           {E(EntryType::kFile, ".wh.gone"), ""},
                           {E(EntryType::kHardLink, "hard", "linked"), ""}}),
                 s.root);
  REQUIRE_OK(r);
  CHECK(s.OutsideIntact());
  struct stat st;
  REQUIRE(stat(s.outside.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0744);  // not chmod'ed through "dir"
  CHECK(st.st_mtime != 1000);           // nor its times
  REQUIRE(stat((s.outside / "keep").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) != 0600);
  CHECK(fs::is_directory(fs::symlink_status(s.root / "dir")));
  CHECK(fs::is_regular_file(fs::symlink_status(s.root / "file")));
  CHECK(testing::ReadFile(s.root / "file") == "in");
  CHECK_FALSE(fs::exists(fs::symlink_status(s.root / "gone")));
  // A hard link to a lower symlink links the symlink itself, not what it points to.
  CHECK(fs::is_symlink(fs::symlink_status(s.root / "hard")));
}

TEST_CASE("truncated layers and decompression bombs stop with a clear error", "[unit]") {
  Sandbox s;
  std::string tar = WriteTar({{E(EntryType::kFile, "f", "", 5000), std::string(5000, 'x')}});
  auto cut = Apply(tar.substr(0, 2048), s.root);
  REQUIRE_FALSE(cut);
  CHECK(cut.error().message.find("truncated tar archive") != std::string::npos);
  // 256 MiB of zeros in a ~256 KiB gzip, applied with a 16 MiB budget.
  core::StringWriter gz;
  auto c = NewCompressor({Compression::kGzip, 1, 0}, gz);
  REQUIRE(c);
  core::StringWriter tarw;
  TarWriter w(**c);
  REQUIRE(w.WriteHeader(E(EntryType::kFile, "bomb", "", 256u << 20)));
  std::string zeros(1 << 20, '\0');
  for (int i = 0; i < 256; ++i) REQUIRE(w.WriteData(zeros.data(), zeros.size()));
  REQUIRE(w.Finish());
  REQUIRE((*c)->Close());
  CHECK(gz.data().size() < (2u << 20));
  Sandbox b;
  core::StringReader in(gz.data());
  ApplyOptions o;
  o.max_bytes = 16 << 20;
  auto bomb = ApplyLayerBlob(in, b.root.string(), o);
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().message.find("exceeds the budget of 16777216 bytes") != std::string::npos);
  CHECK_FALSE(fs::exists(b.root / "bomb"));
  CHECK(b.OutsideIntact());
}

TEST_CASE("a name listed twice in a layer is replaced by its later entry, as docker does",
          "[unit]") {
  Sandbox s;
  TarEntry old_dir = E(EntryType::kDirectory, "d");
  old_dir.mode = 0700;
  TarEntry new_dir = E(EntryType::kDirectory, "d");
  new_dir.mode = 0751;
  auto r = Apply(WriteTar({{E(EntryType::kDirectory, "x"), ""},
                           {E(EntryType::kDirectory, "x/sub"), ""},
                           {E(EntryType::kFile, "x/sub/a", "", 1), "a"},
                           {E(EntryType::kFile, "x", "", 4), "file"},  // directory -> file
                           {E(EntryType::kFile, "y", "", 4), "file"},
                           {E(EntryType::kDirectory, "y"), ""},  // file -> directory
                           {E(EntryType::kFile, "y/b", "", 1), "b"},
                           {E(EntryType::kFile, "f", "", 1), "1"},
                           {E(EntryType::kFile, "f", "", 1), "2"},  // file -> file
                           {old_dir, ""},
                           {new_dir, ""}}),  // directory -> directory: the last metadata
                 s.root);
  REQUIRE_OK(r);
  CHECK(fs::is_regular_file(s.root / "x"));
  CHECK(testing::ReadFile(s.root / "x") == "file");
  CHECK(fs::is_directory(s.root / "y"));
  CHECK(testing::ReadFile(s.root / "y/b") == "b");
  CHECK(testing::ReadFile(s.root / "f") == "2");
  CHECK((fs::status(s.root / "d").permissions() & fs::perms::mask) ==
        (fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
         fs::perms::others_exec));
  CHECK(s.OutsideIntact());
}

TEST_CASE("a full disk says not enough free space at the root, the size limit says bomb limit",
          "[integration]") {
  testing::TempDir tmp;
  fs::path small = tmp / "small";
  fs::create_directories(small);
  REQUIRE(mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") == 0);
  struct Unmount {
    fs::path p;
    ~Unmount() { umount2(p.c_str(), MNT_DETACH); }
  } unmount{small};
  std::string two_mib = WriteTar({{E(EntryType::kFile, "big", "", 2 << 20), std::string(2 << 20, 'x')}});

  // The budget is the free space (max_bytes 0): the layer does not fit.
  auto r = Apply(two_mib, small);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("not enough free space at " + small.string()));
  CHECK_THAT(r.error().message, !Catch::Contains("bomb"));
  CHECK(r.error().code == core::ErrorCode::kIo);

  // A budget above the free space: the write itself fails with ENOSPC.
  fs::remove_all(small / "big");
  ApplyOptions generous;
  generous.max_bytes = 1ull << 30;
  r = Apply(two_mib, small, generous);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("not enough free space at " + small.string()));
  CHECK_THAT(r.error().message, Catch::Contains("No space left on device"));
  CHECK_THAT(r.error().message, !Catch::Contains("bomb"));

  // An explicit limit below the content: the decompression bomb guard, not the disk.
  Sandbox s;
  ApplyOptions tight;
  tight.max_bytes = 1000;
  r = Apply(two_mib, s.root, tight);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("the decompression bomb limit"));
  CHECK_THAT(r.error().message, !Catch::Contains("free space"));
}
