#include "registry/file_blob_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::registry {
namespace {

class FdReader : public core::Reader {
 public:
  FdReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FdReader() override { close(fd_); }
  core::Result<size_t> Read(void* buffer, size_t size) override {
    for (;;) {
      ssize_t n = read(fd_, buffer, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR)
        return core::Fail(core::ErrorCode::kIo, "reading " + path_ + ": " + strerror(errno));
    }
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

core::Result<std::unique_ptr<core::Reader>> FileBlobSource::Open(uint64_t offset) {
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Fail(core::ErrorCode::kIo, "cannot open " + path_ + ": " + strerror(errno));
  if (offset > 0 && lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    int e = errno;
    close(fd);
    return core::Fail(core::ErrorCode::kIo, "cannot seek in " + path_ + ": " + strerror(e));
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<core::Reader>(new FdReader(fd, path_));
}

core::Result<std::unique_ptr<core::Reader>> MemoryBlobSource::Open(uint64_t offset) {
  std::string_view rest = bytes_;
  rest.remove_prefix(std::min<uint64_t>(offset, rest.size()));
  return std::unique_ptr<core::Reader>(new core::StringReader(rest));
}

}  // namespace kiln::registry
