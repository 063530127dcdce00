#include "registry/file_blob_source.h"

#include <cerrno>

#include "core/sys_fs.h"

namespace kiln::registry {
namespace {

class FdReader : public core::Reader {
 public:
  FdReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FdReader() override { sys::Close(fd_); }
  core::Result<size_t> Read(void* buffer, size_t size) override {
    int64_t n = sys::Read(fd_, buffer, size);
    if (n < 0)
      return core::Fail(core::ErrorCode::kIo, "reading " + path_ + ": " + sys::ErrorText(errno));
    return static_cast<size_t>(n);
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

core::Result<std::unique_ptr<core::Reader>> FileBlobSource::Open(uint64_t offset) {
  int fd = sys::Open(path_, sys::kRead);
  if (fd < 0)
    return core::Fail(core::ErrorCode::kIo, "cannot open " + path_ + ": " + sys::ErrorText(errno));
  if (offset > 0 && sys::Seek(fd, offset) != 0) {
    int e = errno;
    sys::Close(fd);
    return core::Fail(core::ErrorCode::kIo, "cannot seek in " + path_ + ": " + sys::ErrorText(e));
  }
  sys::AdviseSequential(fd);
  return std::unique_ptr<core::Reader>(new FdReader(fd, path_));
}

core::Result<std::unique_ptr<core::Reader>> MemoryBlobSource::Open(uint64_t offset) {
  std::string_view rest = bytes_;
  rest.remove_prefix(std::min<uint64_t>(offset, rest.size()));
  return std::unique_ptr<core::Reader>(new core::StringReader(rest));
}

}  // namespace kiln::registry
