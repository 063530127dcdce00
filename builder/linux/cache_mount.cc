#include "builder/cache_mount.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "layers/linux/owner_lock.h"

namespace kiln::builder {
namespace {

using layers::LockMode;
using layers::OwnerLock;

core::Status EnsureDir(const std::string& path, uint32_t mode, uint32_t uid, uint32_t gid) {
  if (::mkdir(path.c_str(), 0700) != 0) {
    if (errno == EEXIST) return {};
    return core::Fail(core::ErrorCode::kIo,
                      "cannot create cache mount directory " + path + ": " + std::strerror(errno));
  }
  // Set owner and mode after creation so the umask does not apply and nobody sees it half-made.
  if (::chown(path.c_str(), uid, gid) != 0 || ::chmod(path.c_str(), mode ? mode : 0755) != 0)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot set up cache mount directory " + path + ": " + std::strerror(errno));
  return {};
}

}  // namespace

struct CacheMount::Lock {
  OwnerLock lock;
};

CacheMount::CacheMount(std::string path, std::unique_ptr<Lock> lock)
    : path_(std::move(path)), lock_(std::move(lock)) {}

core::Result<CacheMount> CacheMount::Acquire(const std::string& home, CacheSharing sharing,
                                             uint32_t mode, uint32_t uid, uint32_t gid) {
  std::error_code ec;  // <store>/cache/mounts is made on first use
  std::filesystem::create_directories(std::filesystem::path(home).parent_path(), ec);
  if (ec)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot create the parent of cache mount " + home + ": " + ec.message());
  KILN_TRY(EnsureDir(home, 0700, 0, 0));
  auto instance = [&](int n) { return home + "/" + std::to_string(n); };
  if (sharing != CacheSharing::kPrivate) {
    auto lock_mode = sharing == CacheSharing::kShared ? LockMode::kShared : LockMode::kExclusive;
    KILN_ASSIGN(OwnerLock lock, OwnerLock::Wait(instance(0) + ".lock", lock_mode));
    KILN_TRY(EnsureDir(instance(0), mode, uid, gid));
    return CacheMount(instance(0), std::make_unique<Lock>(std::move(lock)));
  }
  for (int n = 0;; ++n) {
    KILN_ASSIGN(auto lock, OwnerLock::Try(instance(n) + ".lock", LockMode::kExclusive));
    if (!lock) continue;
    KILN_TRY(EnsureDir(instance(n), mode, uid, gid));
    return CacheMount(instance(n), std::make_unique<Lock>(std::move(*lock)));
  }
}

}  // namespace kiln::builder
