// The executor and the overlay snapshotter together, as the builder uses them for a RUN step.
#include <catch2/catch.hpp>
#include <filesystem>

#include "builder/cache_mount.h"
#include "layers/linux/overlay_snapshotter.h"
#include "tests/builder/runc_fixture.h"
#include "tests/layers/diff_recorder.h"
#include "tests/layers/snapshot_guard.h"

using kiln::builder::RunMount;
using kiln::layers::OverlaySnapshotter;
using kiln::testing::DiffRecorder;
using kiln::testing::Mount;
using kiln::testing::RuncFixture;
namespace fs = std::filesystem;

TEST_CASE("a RUN step's diff holds what it changed and nothing of its mounts or secret",
          "[integration]") {
  RuncFixture f;
  kiln::testing::WriteFile(f.tmp / "secret", "TOP-SECRET-4711");
  fs::create_directories(f.rootfs / "run");
  OverlaySnapshotter snapshotter((f.tmp / "snapshots").string());
  auto snap = snapshotter.Mount("step1", {f.rootfs.string()});
  REQUIRE(snap);
  kiln::testing::SnapshotGuard snap_guard(snapshotter, *snap);
  auto spec = f.Spec(
      "cat /run/secrets/api > /dev/null && rm /bin/vi && echo hi > /etc/motd && "
      "ln -s motd /etc/motd.link && ln /etc/motd /etc/motd.hard && cp /bin/busybox /su && "
      "chmod 4755 /su && echo t > /tmp1/x && echo c > /cache/x");
  spec.rootfs = snap->rootfs;
  spec.mounts = {Mount(RunMount::Type::kSecret, (f.tmp / "secret").string(), "/run/secrets/api"),
                 Mount(RunMount::Type::kTmpfs, "", "/tmp1"),
                 Mount(RunMount::Type::kCache, (f.tmp / "cache").string(), "/cache")};
  fs::create_directories(f.tmp / "cache");
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code == 0);
  DiffRecorder diff;
  auto diffed = snapshotter.Diff(*snap, diff);
  INFO((diffed ? "" : diffed.error().message));
  REQUIRE(diffed);
  std::vector<std::string> names;
  for (const auto& e : diff.entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"bin", "bin/.wh.vi", "etc", "etc/motd", "etc/motd.hard",
                                          "etc/motd.link", "su"});
  CHECK(diff.lines[4] == "h etc/motd.hard 0644 0:0 -> etc/motd");
  CHECK((diff.entries[6].mode & 07777) == 04755);
  for (const auto& line : diff.lines) CHECK(line.find("TOP-SECRET") == std::string::npos);
  for (const auto& [name, bytes] : diff.contents)
    CHECK(bytes.find("TOP-SECRET") == std::string::npos);
  REQUIRE(snapshotter.Remove(*snap));
  f.RequireNothingLeft();
}

TEST_CASE("a failed RUN step on a snapshot leaves no mount, container or directory",
          "[integration]") {
  RuncFixture f;
  OverlaySnapshotter snapshotter((f.tmp / "snapshots").string());
  for (const char* script : {"touch /x; exit 7", "sleep 20"}) {
    auto snap = snapshotter.Mount("failing", {f.rootfs.string()});
    REQUIRE(snap);
    kiln::testing::SnapshotGuard snap_guard(snapshotter, *snap);
    auto spec = f.Spec(script);
    spec.rootfs = snap->rootfs;
    spec.timeout = std::chrono::seconds(1);
    auto status = f.executor.Run(spec);
    REQUIRE(status);
    CHECK((status->exit_code == 7 || status->timed_out));
    REQUIRE(snapshotter.Remove(*snap));
  }
  {
    auto snap = snapshotter.Mount("noshell", {f.rootfs.string()});
    REQUIRE(snap);
    kiln::testing::SnapshotGuard snap_guard(snapshotter, *snap);
    auto spec = f.Spec("true");
    spec.argv[0] = "/bin/nosh";
    spec.rootfs = snap->rootfs;
    CHECK_FALSE(f.executor.Run(spec));
    REQUIRE(snapshotter.Remove(*snap));
  }
  CHECK(fs::is_empty(f.tmp / "snapshots/active"));
  f.RequireNothingLeft();
}
