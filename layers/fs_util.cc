#include "layers/fs_util.h"

#include <cerrno>
#include <cstring>

#include "core/sys_fs.h"
#include "layers/file_blob_writer.h"
#include "layers/owned_temp.h"

namespace kiln::layers {

std::unexpected<core::Error> ErrnoError(const std::string& what, const std::string& path) {
  int e = errno;
  return core::Fail(e == ENOENT ? core::ErrorCode::kNotFound : core::ErrorCode::kIo,
                    what + " " + path + ": " + std::strerror(e));
}

core::Result<std::string> ReadFileToString(const std::string& path, size_t limit) {
  int fd = sys::Open(path, sys::kRead);
  if (fd < 0) return ErrnoError("cannot open", path);
  FdReader r(fd, path);
  auto data = core::ReadAll(r, limit);
  if (!data) return core::Fail(data.error().Wrap(path));
  return data;
}

core::Status WriteFileAtomic(const std::string& path, std::string_view data) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string tmp = path + ".tmp-XXXXXX";
  KILN_ASSIGN(int fd, CreateOwnedTempFile(tmp));  // locked until renamed: see owned_temp.h
  sys::Fchmod(fd, 0644);
  if (sys::WriteAll(fd, data.data(), data.size()) != 0) {
    auto err = ErrnoError("cannot write", tmp);
    sys::Close(fd);
    sys::Unlink(tmp);
    return err;
  }
  if (sys::Fsync(fd) != 0) {
    auto err = ErrnoError("cannot sync", tmp);
    sys::Close(fd);
    sys::Unlink(tmp);
    return err;
  }
  if (sys::Rename(tmp, path) != 0) {
    auto err = ErrnoError("cannot rename into", path);
    sys::Close(fd);
    sys::Unlink(tmp);
    return err;
  }
  if (sys::Close(fd) != 0) return ErrnoError("cannot close", path);
  return SyncDirectory(dir);
}

core::Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (sys::MakeDir(part, 0755) != 0 && errno != EEXIST)
      return ErrnoError("cannot create directory", part);
  }
  return {};
}

core::Status MakePrivateDir(const std::string& path) {
  if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
    KILN_TRY(MakeDirs(path.substr(0, slash)));
  if (sys::MakeDir(path, 0700) != 0 && errno != EEXIST)
    return ErrnoError("cannot create directory", path);
  sys::FileStat st;
  if (sys::Lstat(path, &st) != 0) return ErrnoError("cannot open", path);
  if (!st.IsDir()) return core::Fail(core::ErrorCode::kIo, path + " is not a directory");
  if ((st.mode & 077) != 0 && sys::Chmod(path, 0700) != 0)
    return ErrnoError("cannot make private", path);
  return {};
}

FdReader::~FdReader() {
  if (fd_ >= 0) sys::Close(fd_);
}

core::Result<size_t> FdReader::Read(void* buffer, size_t size) {
  int64_t n = sys::Read(fd_, buffer, size);
  if (n < 0) return ErrnoError("cannot read", path_);
  return static_cast<size_t>(n);
}

}  // namespace kiln::layers
