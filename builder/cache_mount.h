// RUN --mount=type=cache: the persistent directory a step mounts, chosen under the sharing mode.
// The builder maps a cache id to its home directory in the store; this picks (and locks) the
// instance one step uses. Implemented with flock(2) in builder/linux/cache_mount.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::builder {

// BuildKit's modes: shared = steps use the same directory at once; private = a step that finds
// the directory in use gets another one (an empty one the first time); locked = a step waits
// until no other step uses it.
enum class CacheSharing { kShared, kPrivate, kLocked };

// "shared", "private" or "locked"; kInvalidInput otherwise.
core::Result<CacheSharing> ParseCacheSharing(std::string_view text);

// One step's use of a cache mount; the directory stays reserved until this object dies.
class CacheMount {
 public:
  // Picks an instance under `home` (instances are `home`/0, `home`/1, ... with lock files
  // `home`/N.lock): shared takes 0 with a shared lock; locked takes 0 exclusively and waits
  // (Ctrl-C aware); private takes the first instance nobody uses, creating a new one if all are
  // in use. A directory created here gets `mode` (0 = 0755) and owner uid:gid.
  static core::Result<CacheMount> Acquire(const std::string& home, CacheSharing sharing,
                                          uint32_t mode = 0, uint32_t uid = 0, uint32_t gid = 0);

  const std::string& path() const { return path_; }  // the directory to bind-mount

 private:
  struct Lock;  // the platform's lock on the instance
  CacheMount(std::string path, std::unique_ptr<Lock> lock);

  std::string path_;
  std::shared_ptr<Lock> lock_;
};

}  // namespace kiln::builder
