// A directory that paths must never leave: every lookup resolves inside it (openat2 with
// RESOLVE_IN_ROOT: "..", absolute symlinks and ".." in symlinks stay within the root, as in a
// chroot). Used by ApplyLayer; on kernels without openat2 a path through any symlink is refused.
#pragma once

#include <unistd.h>

#include <functional>
#include <string>

#include "core/error.h"

namespace kiln::layers {

class RootDir {
 public:
  // Opens `path` (which must be a directory). kNotFound / kIo on failure.
  static core::Result<RootDir> Open(const std::string& path);
  RootDir(RootDir&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  RootDir& operator=(RootDir&&) = delete;
  ~RootDir();

  // Opens the directory at `rel` ("" = the root) resolved inside the root; the caller closes
  // the descriptor. kNotFound when missing, kInvalidInput when it is not a directory.
  core::Result<int> OpenDir(const std::string& rel) const;
  // Like OpenDir, creating missing directories (mode 0755); calls on_create(rel) for each.
  core::Result<int> OpenOrMakeDir(const std::string& rel,
                                  const std::function<void(const std::string&)>& on_create) const;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  RootDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  core::Result<int> OpenDirImpl(const std::string& rel, bool& missing) const;
  core::Status MakeDirIn(const std::string& parent, const std::string& name) const;
  int fd_;
  std::string path_;
};

// Removes `name` in directory `dirfd` and, for a directory, everything under it, never
// following symlinks. Missing is not an error.
core::Status RemoveAllAt(int dirfd, const std::string& name);

}  // namespace kiln::layers
