#include "layers/linux/overlay_snapshotter.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "layers/fs_util.h"
#include "layers/linux/overlay_mount.h"
#include "tests/layers/diff_recorder.h"
#include "tests/layers/snapshot_guard.h"
#include "tests/support/test_env.h"

using kiln::layers::OverlaySnapshotter;
using kiln::layers::Snapshot;
using kiln::testing::DiffRecorder;
using kiln::testing::Shell;
using kiln::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir tmp;
  OverlaySnapshotter snapshotter{(tmp / "snapshots").string()};

  Fixture() { REQUIRE(geteuid() == 0); }

  // Runs a bash script in `dir`; fails the test when it fails.
  void Sh(const fs::path& dir, const std::string& script) {
    auto r = Shell("set -e; cd '" + dir.string() + "'; " + script);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }

  std::vector<std::string> Diff(const Snapshot& s) {
    DiffRecorder rec;
    auto status = snapshotter.Diff(s, rec);
    REQUIRE(status);
    return rec.lines;
  }

  bool Mounted() {
    auto r = kiln::testing::Run({"findmnt", "-rn", "-o", "TARGET"});
    return r.out.find(tmp.path().string()) != std::string::npos;
  }
};

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("creating, changing and deleting files shows as entries and whiteouts", "[integration]") {
  Fixture f;
  auto lower = f.tmp / "base";
  f.Sh(f.tmp.path(),
       "mkdir -p base/data base/etc && printf old > base/data/old.txt && "
       "printf gone > base/data/gone.txt && printf keep > base/data/keep && "
       "chmod 0640 base/data/old.txt && touch -d @1000000000 base/data base/etc");
  auto s = f.snapshotter.Mount("k1", {lower.string()});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  f.Sh(s->rootfs,
       "printf new > data/old.txt; rm data/gone.txt; mkdir -p new/sub; "
       "printf hi > new/sub/f; touch -d @1000000000 new new/sub new/sub/f data");
  CHECK(f.Diff(*s) == Lines{"d data 0755 0:0", "f data/.wh.gone.txt 0600 0:0 0",
                            "f data/old.txt 0640 0:0 3 =new", "d new 0755 0:0",
                            "d new/sub 0755 0:0", "f new/sub/f 0644 0:0 2 =hi"});
  REQUIRE(f.snapshotter.Remove(*s));
  CHECK_FALSE(f.Mounted());
  CHECK_FALSE(fs::exists(s->scratch));
  CHECK(f.snapshotter.Remove(*s));             // twice is fine
  CHECK(fs::exists(lower / "data/gone.txt"));  // the lower layer is never touched
}

TEST_CASE("a directory replaced over a lower one becomes opaque", "[integration]") {
  Fixture f;
  f.Sh(f.tmp.path(), "mkdir -p base/opq && touch base/opq/a base/opq/b");
  auto s = f.snapshotter.Mount("k2", {(f.tmp / "base").string()});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  f.Sh(s->rootfs, "rm -rf opq; mkdir opq; printf c > opq/c; chmod 0750 opq");
  CHECK(f.Diff(*s) ==
        Lines{"d opq 0750 0:0", "f opq/.wh..wh..opq 0750 0:0 0", "f opq/c 0644 0:0 1 =c"});
  REQUIRE(f.snapshotter.Remove(*s));
}

TEST_CASE("symlinks, hard links, setuid bits, owners, xattrs and special files are kept",
          "[integration]") {
  Fixture f;
  fs::create_directories(f.tmp / "base");
  auto s = f.snapshotter.Mount("k3", {(f.tmp / "base").string()});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  f.Sh(s->rootfs,
       "printf x > a; ln a b; ln a c; ln -s a link; printf s > suid; chown 1000:50 suid; "
       "chmod 4755 suid; printf g > sgid; chmod 2711 sgid; mkdir sticky; chmod 1777 sticky; "
       "mkfifo fifo; mknod null c 1 3");
  REQUIRE(setxattr((fs::path(s->rootfs) / "a").c_str(), "user.note", "hello", 5, 0) == 0);
  CHECK(f.Diff(*s) == Lines{"f a 0644 0:0 1 =x user.note=hello", "h b 0644 0:0 -> a",
                            "h c 0644 0:0 -> a", "p fifo 0644 0:0", "l link 0777 0:0 -> a",
                            "c null 0644 0:0 1,3", "f sgid 2711 0:0 1 =g", "d sticky 1777 0:0",
                            "f suid 4755 1000:50 1 =s"});
  REQUIRE(f.snapshotter.Remove(*s));
}

TEST_CASE("directories overlayfs only copied up are left out of the diff", "[integration]") {
  Fixture f;
  f.Sh(f.tmp.path(), "mkdir -p base/etc/deep base/run && touch base/etc/deep/f");
  auto s = f.snapshotter.Mount("k4", {(f.tmp / "base").string()});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  // chown to the same owner copies etc and etc/deep up without changing them; a mount target
  // made and removed in run, with run's mtime put back, does the same.
  f.Sh(s->rootfs,
       "chown root:root etc/deep; m=$(stat -c %y run); mkdir run/secrets; "
       "rmdir run/secrets; touch -d \"$m\" run");
  CHECK(fs::exists(fs::path(s->scratch) / "etc/deep"));
  CHECK(fs::exists(fs::path(s->scratch) / "run"));
  CHECK(f.Diff(*s) == Lines{"d etc 0755 0:0"});  // has a child in the upper dir, so kept
  f.Sh(s->rootfs, "chmod 0700 etc/deep");
  CHECK(f.Diff(*s) == Lines{"d etc 0755 0:0", "d etc/deep 0700 0:0"});
  REQUIRE(f.snapshotter.Remove(*s));
}

TEST_CASE("a snapshot over no layers is an empty writable root", "[integration]") {
  Fixture f;
  auto s = f.snapshotter.Mount("scratch", {});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  CHECK(fs::is_empty(s->rootfs));
  f.Sh(s->rootfs, "printf 1 > one");
  CHECK(f.Diff(*s) == Lines{"f one 0644 0:0 1 =1"});
  REQUIRE(f.snapshotter.Remove(*s));
  CHECK_FALSE(f.Mounted());
}

TEST_CASE("lower layers stack topmost first, up to overlayfs's limit of 500", "[integration]") {
  Fixture f;
  std::vector<std::string> lowers;
  for (int i = 0; i < 500; ++i) {
    auto dir = f.tmp / ("layer" + std::to_string(i));
    fs::create_directories(dir);
    kiln::testing::WriteFile(dir / "who", std::to_string(i));
    if (i == 499) kiln::testing::WriteFile(dir / "bottom", "b");
    lowers.insert(lowers.begin(), dir.string());  // layer499 ends up last: the bottom
  }
  std::reverse(lowers.begin(), lowers.end());  // layer0 first: the top
  auto s = f.snapshotter.Mount("many", lowers);
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  CHECK(kiln::testing::ReadFile(fs::path(s->rootfs) / "who") == "0");
  CHECK(kiln::testing::ReadFile(fs::path(s->rootfs) / "bottom") == "b");
  REQUIRE(f.snapshotter.Remove(*s));
  lowers.push_back(lowers.back());
  auto too_many = f.snapshotter.Mount("toomany", lowers);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().code == kiln::core::ErrorCode::kUnsupported);
  CHECK_FALSE(f.Mounted());
}

TEST_CASE("an active key cannot be mounted twice", "[integration]") {
  Fixture f;
  auto s = f.snapshotter.Mount("same", {});
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  auto again = f.snapshotter.Mount("same", {});
  REQUIRE_FALSE(again);
  CHECK(again.error().code == kiln::core::ErrorCode::kConflict);
  REQUIRE(f.snapshotter.Remove(*s));
}

TEST_CASE("snapshots of a killed kiln process are unmounted and removed by the next one",
          "[integration]") {
  Fixture f;
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    OverlaySnapshotter mine((f.tmp / "snapshots").string());
    auto s = mine.Mount("victim", {});
    (void)!write(ready[1], s ? "y" : "n", 1);
    pause();
    _exit(0);
  }
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  auto live = f.snapshotter.SweepStale();  // its owner still runs: left alone
  REQUIRE(live);
  CHECK(f.Mounted());
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  CHECK(f.Mounted());
  REQUIRE(f.snapshotter.SweepStale());
  CHECK_FALSE(f.Mounted());
  CHECK(fs::is_empty(f.tmp / "snapshots/active"));
}

namespace {

// Opens layer blobs from files named after their diff_id, counting the opens.
class DirOpener : public kiln::layers::LayerOpener {
 public:
  explicit DirOpener(fs::path dir) : dir_(std::move(dir)) {}
  kiln::core::Result<std::unique_ptr<kiln::core::Reader>> OpenLayer(
      const kiln::layers::SnapshotLayer& layer) override {
    ++opens;
    auto path = dir_ / (layer.diff_id.hex() + ".tar.gz");
    return std::make_unique<kiln::layers::FdReader>(open(path.c_str(), O_RDONLY | O_CLOEXEC),
                                                    path.string());
  }
  int opens = 0;

 private:
  fs::path dir_;
};

// GNU tar of `dir`'s contents, gzipped into blobs/<diff_id>.tar.gz.
kiln::layers::SnapshotLayer GnuTarLayer(const fs::path& dir, const fs::path& blobs) {
  fs::create_directories(blobs);
  auto tar = blobs / "tmp.tar";
  auto r =
      Shell("tar --xattrs --numeric-owner -C '" + dir.string() + "' -cf '" + tar.string() + "' .");
  REQUIRE(r.exit_code == 0);
  auto diff_id = kiln::core::Digest::Sha256Of(kiln::testing::ReadFile(tar));
  auto gz = blobs / (diff_id.hex() + ".tar.gz");
  REQUIRE(Shell("gzip -c '" + tar.string() + "' > '" + gz.string() + "'").exit_code == 0);
  kiln::layers::SnapshotLayer layer;
  layer.diff_id = diff_id;
  return layer;
}

}  // namespace

TEST_CASE("prepare unpacks each parent once and stacks them with whiteouts applied",
          "[integration]") {
  Fixture f;
  f.Sh(f.tmp.path(),
       "mkdir -p l1/etc l1/opq l2/opq && printf 1 > l1/etc/a && printf 1 > l1/etc/b"
       " && touch l1/opq/old && touch l2/etc.keep l2/.wh.etc l2/opq/.wh..wh..opq"
       " && printf new > l2/opq/new && mkdir l2/etc2");
  auto bottom = GnuTarLayer(f.tmp / "l1", f.tmp / "blobs");
  auto top = GnuTarLayer(f.tmp / "l2", f.tmp / "blobs");
  DirOpener opener(f.tmp / "blobs");
  auto s = f.snapshotter.Prepare("p1", {bottom, top}, opener);
  INFO((s ? "" : s.error().message));
  REQUIRE(s);
  kiln::testing::SnapshotGuard s_guard(f.snapshotter, *s);
  CHECK(opener.opens == 2);
  CHECK_FALSE(fs::exists(fs::path(s->rootfs) / "etc"));  // whited out by the top layer
  CHECK(fs::exists(fs::path(s->rootfs) / "etc.keep"));
  CHECK(fs::exists(fs::path(s->rootfs) / "opq/new"));
  CHECK_FALSE(fs::exists(fs::path(s->rootfs) / "opq/old"));  // opaque in the top layer
  auto again = f.snapshotter.Prepare("p2", {bottom}, opener);
  REQUIRE(again);
  kiln::testing::SnapshotGuard again_guard(f.snapshotter, *again);
  CHECK(opener.opens == 2);  // cached
  CHECK(kiln::testing::ReadFile(fs::path(again->rootfs) / "etc/a") == "1");
  REQUIRE(f.snapshotter.Remove(*s));
  REQUIRE(f.snapshotter.Remove(*again));
  CHECK_FALSE(f.Mounted());
}

TEST_CASE("a layer that fails to unpack leaves no half-written directory", "[integration]") {
  Fixture f;
  kiln::layers::SnapshotLayer bad;
  bad.diff_id = kiln::core::Digest::Sha256Of("not this");
  fs::create_directories(f.tmp / "blobs");
  auto gz = f.tmp / "blobs" / (bad.diff_id.hex() + ".tar.gz");
  REQUIRE(Shell("mkdir -p '" + (f.tmp / "x").string() + "' && tar -C '" + (f.tmp / "x").string() +
                "' -czf '" + gz.string() + "' .")
              .exit_code == 0);
  DirOpener opener(f.tmp / "blobs");
  auto s = f.snapshotter.Prepare("bad", {bad}, opener);
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error().message, Catch::Contains("does not match its diff_id"));
  CHECK(fs::is_empty(f.tmp / "snapshots/layers"));
  CHECK(fs::is_empty(f.tmp / "snapshots/active"));
  CHECK_FALSE(f.Mounted());
}
