// An flock(2) lock on a file that marks a live owner. The Linux snapshotter and executor hold
// one per active snapshot or container, so a later kiln process can tell leftovers of a killed
// process (lock free) from work still in progress (lock held): the kernel drops the lock when
// its holder dies.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "layers/linux/unique_fd.h"

namespace kiln::layers {

enum class LockMode { kShared, kExclusive };

class OwnerLock {
 public:
  // Creates `path` if missing and locks it without waiting; nullopt when another open file
  // description holds a conflicting lock (also one in this process). Fails on I/O errors.
  static core::Result<std::optional<OwnerLock>> Try(const std::string& path, LockMode mode);
  // Like Try but waits for the lock, checking for Ctrl-C (kCancelled) while it waits.
  static core::Result<OwnerLock> Wait(const std::string& path, LockMode mode);

  OwnerLock(OwnerLock&&) = default;
  OwnerLock& operator=(OwnerLock&&) = default;
  const std::string& path() const { return path_; }
  // Removes the lock file while still holding the lock (for per-task lock files that would
  // otherwise pile up); a later Try on the path locks a new file.
  void Unlink();

 private:
  OwnerLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace kiln::layers
