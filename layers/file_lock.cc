#include "layers/file_lock.h"

#include <cerrno>

#include "core/sys_fs.h"

namespace kiln::layers {
namespace {

sys::LockMode ToSys(FileLock::Mode mode) {
  return mode == FileLock::Mode::kShared ? sys::LockMode::kShared : sys::LockMode::kExclusive;
}

}  // namespace

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::Close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) sys::Close(fd_);  // closing the descriptor releases the flock
}

core::Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode) {
  int fd = sys::Open(path, sys::kReadWrite | sys::kCreate, 0644);
  if (fd < 0)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot open lock file " + path + ": " + sys::ErrorText(errno));
  if (sys::Lock(fd, ToSys(mode), false) != 0) {
    int e = errno;
    sys::Close(fd);
    return core::Fail(core::ErrorCode::kIo, "cannot lock " + path + ": " + sys::ErrorText(e));
  }
  return FileLock(fd);
}

bool FileLock::TryChange(Mode mode) {
  if (fd_ < 0) return false;
  return sys::Lock(fd_, ToSys(mode), true) == 0;
}

}  // namespace kiln::layers
