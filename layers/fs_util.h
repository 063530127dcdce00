// Small file helpers for layers/: whole-file reads, atomic replace (temp + fsync +
// rename), and a Reader over a file descriptor.
#pragma once

#include <string>

#include "core/error.h"
#include "core/io.h"

namespace kiln::layers {

// kIo with "<what> <path>: <strerror(errno)>".
std::unexpected<core::Error> ErrnoError(const std::string& what, const std::string& path);

// Reads a file (kNotFound when absent); fails past `limit` bytes.
core::Result<std::string> ReadFileToString(const std::string& path, size_t limit = 64 << 20);
// Replaces `path` atomically with `data`: temp file in the same directory, fsync, rename,
// fsync of the directory.
core::Status WriteFileAtomic(const std::string& path, std::string_view data);
// Creates a directory and its parents (mode 0755); ok when it exists.
core::Status MakeDirs(const std::string& path);

// Creates `path` (parents 0755) as a directory only its owner can enter, tightening an existing
// one to 0700. For the store's subdirectories and what the snapshotter and executor keep there.
core::Status MakePrivateDir(const std::string& path);

// Reads a file descriptor it owns (closed on destruction).
class FdReader : public core::Reader {
 public:
  explicit FdReader(int fd, std::string path = "") : fd_(fd), path_(std::move(path)) {}
  ~FdReader() override;
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;
  core::Result<size_t> Read(void* buffer, size_t size) override;
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace kiln::layers
