// The host-neutral part of builder/cache_mount.h (the locking is in linux/cache_mount.cc).
#include "builder/cache_mount.h"

namespace kiln::builder {

core::Result<CacheSharing> ParseCacheSharing(std::string_view text) {
  if (text == "shared") return CacheSharing::kShared;
  if (text == "private") return CacheSharing::kPrivate;
  if (text == "locked") return CacheSharing::kLocked;
  return core::Fail(
      core::ErrorCode::kInvalidInput,
      "cache mount sharing must be shared, private or locked, not " + std::string(text));
}

}  // namespace kiln::builder
