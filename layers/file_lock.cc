#include "layers/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::layers {

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing the descriptor releases the flock
}

core::Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot open lock file " + path + ": " + std::strerror(errno));
  int op = mode == Mode::kShared ? LOCK_SH : LOCK_EX;
  while (flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return core::Fail(core::ErrorCode::kIo, "cannot lock " + path + ": " + std::strerror(e));
  }
  return FileLock(fd);
}

bool FileLock::TryChange(Mode mode) {
  if (fd_ < 0) return false;
  return flock(fd_, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0;
}

}  // namespace kiln::layers
