#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "builder/cache_mount.h"
#include "tests/builder/runc_fixture.h"

using kiln::builder::CacheMount;
using kiln::builder::CacheSharing;
using kiln::builder::RunMount;
using kiln::testing::Mount;
using kiln::testing::ReadFile;
using kiln::testing::RuncFixture;
using kiln::testing::WriteFile;
namespace fs = std::filesystem;

namespace {

// Every path under `root` with its type, mode and mtime (ns): a change anywhere shows.
std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    lstat(it->path().c_str(), &st);
    out[fs::relative(it->path(), root).string()] = std::to_string(st.st_mode) + "@" +
                                                   std::to_string(st.st_mtim.tv_sec) + "." +
                                                   std::to_string(st.st_mtim.tv_nsec);
  }
  return out;
}

}  // namespace

TEST_CASE("mount targets missing from the root leave no trace in it after the step",
          "[integration]") {
  RuncFixture f(/*with_etc=*/false);
  WriteFile(f.tmp / "secret.txt", "s3cr3t-value");
  fs::create_directories(f.rootfs / "run");
  auto before = Snapshot(f.rootfs);
  auto spec = f.Spec("cat /run/secrets/token; echo; ls /etc; echo x > /scratch/x; ls /scratch");
  spec.mounts = {
      Mount(RunMount::Type::kSecret, (f.tmp / "secret.txt").string(), "/run/secrets/token"),
      Mount(RunMount::Type::kTmpfs, "", "/scratch")};
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code == 0);
  CHECK(f.out == "s3cr3t-value\nhosts\nx\n");
  CHECK(Snapshot(f.rootfs) == before);  // no /proc, /dev, /sys, /etc, /scratch; /run untouched
  f.RequireNothingLeft();
}

TEST_CASE("a secret mount is read-only and the step cannot change the host file", "[integration]") {
  RuncFixture f;
  WriteFile(f.tmp / "secret.txt", "s3cr3t");
  auto spec = f.Spec("echo changed > /run/secrets/token");
  spec.mounts = {
      Mount(RunMount::Type::kSecret, (f.tmp / "secret.txt").string(), "/run/secrets/token")};
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code != 0);
  CHECK_THAT(f.err, Catch::Contains("Read-only file system"));
  CHECK(ReadFile(f.tmp / "secret.txt") == "s3cr3t");
  f.RequireNothingLeft();
}

TEST_CASE("a secret is seen with the mount's mode and owner, 0400 root by default",
          "[integration]") {
  RuncFixture f;
  WriteFile(f.tmp / "secret.txt", "s3cr3t");
  fs::permissions(f.tmp / "secret.txt", fs::perms::owner_read | fs::perms::owner_write);
  auto spec = f.Spec(
      "stat -c '%a %u %g' /run/secrets/a /run/secrets/b; cat /run/secrets/b /run/secrets/env");
  auto owned = Mount(RunMount::Type::kSecret, (f.tmp / "secret.txt").string(), "/run/secrets/b");
  owned.mode = 0440;
  owned.uid = 1000;
  owned.gid = 2000;
  auto from_env = Mount(RunMount::Type::kSecret, "", "/run/secrets/env");  // --secret env=
  from_env.data = "+from-env";
  spec.mounts = {Mount(RunMount::Type::kSecret, (f.tmp / "secret.txt").string(), "/run/secrets/a"),
                 owned, from_env};
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code == 0);
  CHECK(f.out == "400 0 0\n440 1000 2000\ns3cr3t+from-env");
  // The host file keeps its own mode; the copies went with the step's private tmpfs.
  CHECK((fs::status(f.tmp / "secret.txt").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  f.RequireNothingLeft();
}

TEST_CASE("a read-only bind mount refuses writes, a writable one never changes its source",
          "[integration]") {
  RuncFixture f;
  WriteFile(f.tmp / "ctx/app.txt", "original");
  auto spec = f.Spec("cat /src/app.txt; echo; echo new > /src/app.txt; echo rc=$?");
  spec.mounts = {Mount(RunMount::Type::kBind, (f.tmp / "ctx").string(), "/src", true)};
  REQUIRE(f.executor.Run(spec));
  CHECK(f.out == "original\nrc=1\n");
  f.out.clear();
  spec = f.Spec("echo new > /src/app.txt; touch /src/more; cat /src/app.txt");
  spec.mounts = {Mount(RunMount::Type::kBind, (f.tmp / "ctx").string(), "/src", false)};
  REQUIRE(f.executor.Run(spec));
  CHECK(f.out == "new\n");
  CHECK(ReadFile(f.tmp / "ctx/app.txt") == "original");
  CHECK_FALSE(fs::exists(f.tmp / "ctx/more"));
  f.RequireNothingLeft();
}

TEST_CASE("a relative mount target is relative to the working directory", "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("echo hi > cache/f; cat /src/cache/f");
  spec.working_dir = "/src";
  spec.mounts = {Mount(RunMount::Type::kTmpfs, "", "cache")};
  REQUIRE(f.executor.Run(spec));
  CHECK(f.out == "hi\n");
  CHECK(fs::is_empty(f.rootfs / "src"));
  f.RequireNothingLeft();
}

TEST_CASE("a cache mount keeps what a step wrote for the next step", "[integration]") {
  RuncFixture f;
  std::string home = (f.tmp / "cache-home").string();
  for (int i = 0; i < 2; ++i) {
    auto cache = CacheMount::Acquire(home, CacheSharing::kShared);
    REQUIRE(cache);
    auto spec = f.Spec("cat /cache/count 2>/dev/null || echo 0; echo run >> /cache/count");
    spec.mounts = {Mount(RunMount::Type::kCache, cache->path(), "/cache")};
    REQUIRE(f.executor.Run(spec));
  }
  CHECK(f.out == "0\nrun\n");
  CHECK(ReadFile(fs::path(home) / "0/count") == "run\nrun\n");
  f.RequireNothingLeft();
}
