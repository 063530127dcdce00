#include "layers/linux/owner_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/cancel.h"

namespace kiln::layers {

core::Result<std::optional<OwnerLock>> OwnerLock::Try(const std::string& path, LockMode mode) {
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid())
      return core::Fail(core::ErrorCode::kIo,
                        "cannot open lock file " + path + ": " + std::strerror(errno));
    int op = (mode == LockMode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    while (::flock(fd.get(), op) != 0) {
      if (errno == EWOULDBLOCK) return std::nullopt;
      if (errno != EINTR)
        return core::Fail(core::ErrorCode::kIo,
                          "cannot lock " + path + ": " + std::strerror(errno));
    }
    // A holder may unlink the file before releasing it (Unlink); then our lock is on a file
    // nobody else will open, and we must lock the new one instead.
    struct stat held {
    }, now{};
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino)
      return OwnerLock(std::move(fd), path);
  }
}

void OwnerLock::Unlink() { ::unlink(path_.c_str()); }

core::Result<OwnerLock> OwnerLock::Wait(const std::string& path, LockMode mode) {
  using std::chrono::milliseconds;
  for (milliseconds delay(5);; delay = std::min(delay * 2, milliseconds(100))) {
    KILN_ASSIGN(auto lock, Try(path, mode));
    if (lock) return std::move(*lock);
    KILN_TRY(core::CheckCancelled());
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace kiln::layers
