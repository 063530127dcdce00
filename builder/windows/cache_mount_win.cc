// builder/cache_mount.h on Windows: RUN --mount=type=cache is not supported for Windows RUN
// steps (HCS process isolation has no bind mounts in kiln yet), so no instance is ever chosen.
#include "builder/cache_mount.h"

namespace kiln::builder {

core::Result<CacheMount> CacheMount::Acquire(const std::string& home, CacheSharing sharing,
                                             uint32_t mode, uint32_t uid, uint32_t gid) {
  return core::Fail(core::ErrorCode::kUnsupported,
                    "RUN --mount=type=cache is not supported on a Windows host");
}

}  // namespace kiln::builder
