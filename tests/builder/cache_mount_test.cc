#include "builder/cache_mount.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "core/cancel.h"
#include "tests/support/test_env.h"

using kiln::builder::CacheMount;
using kiln::builder::CacheSharing;
using kiln::builder::ParseCacheSharing;
using kiln::testing::TempDir;

TEST_CASE("sharing modes parse from their BuildKit names only", "[unit]") {
  CHECK(*ParseCacheSharing("shared") == CacheSharing::kShared);
  CHECK(*ParseCacheSharing("private") == CacheSharing::kPrivate);
  CHECK(*ParseCacheSharing("locked") == CacheSharing::kLocked);
  CHECK_FALSE(ParseCacheSharing("Shared"));
}

// [linux]: CacheMount::Acquire is Linux-only (builder/windows/cache_mount_win.cc refuses).
TEST_CASE("shared cache users get the same directory at the same time", "[unit][linux]") {
  TempDir tmp;
  auto a = CacheMount::Acquire((tmp / "c").string(), CacheSharing::kShared);
  auto b = CacheMount::Acquire((tmp / "c").string(), CacheSharing::kShared);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->path() == b->path());
}

// [linux]: CacheMount::Acquire is Linux-only (builder/windows/cache_mount_win.cc refuses).
TEST_CASE("a cache home whose parent directories are missing is created with them",
          "[unit][linux]") {
  TempDir tmp;
  auto a = CacheMount::Acquire((tmp / "store/cache/mounts/id").string(), CacheSharing::kShared);
  INFO((a ? "" : a.error().message));
  REQUIRE(a);
  CHECK(std::filesystem::is_directory(a->path()));
}

// [linux]: CacheMount::Acquire is Linux-only (builder/windows/cache_mount_win.cc refuses).
TEST_CASE("a private cache user gets another directory while the first is in use",
          "[unit][linux]") {
  TempDir tmp;
  std::string home = (tmp / "c").string();
  std::string first;
  {
    auto a = CacheMount::Acquire(home, CacheSharing::kPrivate, 0750, 1000, 1000);
    REQUIRE(a);
    auto b = CacheMount::Acquire(home, CacheSharing::kPrivate);
    REQUIRE(b);
    CHECK(a->path() != b->path());
    first = a->path();
    struct stat st {};
    REQUIRE(stat(first.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == 1000);
  }
  auto again = CacheMount::Acquire(home, CacheSharing::kPrivate);
  REQUIRE(again);
  CHECK(again->path() == first);  // free again: the data of the last use is there
}

// [linux]: CacheMount::Acquire is Linux-only (builder/windows/cache_mount_win.cc refuses).
TEST_CASE("a locked cache user waits until the holder is done", "[unit][linux]") {
  TempDir tmp;
  std::string home = (tmp / "c").string();
  auto holder = std::make_unique<CacheMount>(*CacheMount::Acquire(home, CacheSharing::kLocked));
  auto waiter = std::async(std::launch::async,
                           [&] { return CacheMount::Acquire(home, CacheSharing::kLocked); });
  CHECK(waiter.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  holder.reset();
  REQUIRE(waiter.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(waiter.get());
}

// [linux]: CacheMount::Acquire is Linux-only (builder/windows/cache_mount_win.cc refuses).
TEST_CASE("waiting for a locked cache stops on Ctrl-C", "[unit][linux]") {
  TempDir tmp;
  std::string home = (tmp / "c").string();
  auto holder = CacheMount::Acquire(home, CacheSharing::kLocked);
  REQUIRE(holder);
  kiln::core::RequestCancel();
  auto waiter = CacheMount::Acquire(home, CacheSharing::kLocked);
  kiln::core::ResetCancel();
  REQUIRE_FALSE(waiter);
  CHECK(waiter.error().code == kiln::core::ErrorCode::kCancelled);
}
