// An flock(2) (Windows: LockFileEx) on a lock file, released when the object dies. Serialises writers of index.json
// and keeps `kiln prune` away from stores that other kiln processes are using.
#pragma once

#include <string>

#include "core/error.h"

namespace kiln::layers {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  FileLock() = default;
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  ~FileLock();

  // Opens (creating) `path` and locks it, waiting for other holders. kIo on failure.
  static core::Result<FileLock> Acquire(const std::string& path, Mode mode);
  // Changes the mode of a held lock without waiting; false when another process prevents it.
  bool TryChange(Mode mode);
  bool held() const { return fd_ >= 0; }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace kiln::layers
