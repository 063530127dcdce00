#include "layers/fs_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layers/file_blob_writer.h"
#include "layers/owned_temp.h"

namespace kiln::layers {

std::unexpected<core::Error> ErrnoError(const std::string& what, const std::string& path) {
  int e = errno;
  return core::Fail(e == ENOENT ? core::ErrorCode::kNotFound : core::ErrorCode::kIo,
                    what + " " + path + ": " + std::strerror(e));
}

core::Result<std::string> ReadFileToString(const std::string& path, size_t limit) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  fchmod(fd, 0644);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto err = ErrnoError("cannot write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    auto err = ErrnoError("cannot sync", tmp);
    close(fd);
    unlink(tmp.c_str());
    return err;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = ErrnoError("cannot rename into", path);
    close(fd);
    unlink(tmp.c_str());
    return err;
  }
  if (close(fd) != 0) return ErrnoError("cannot close", path);
  return SyncDirectory(dir);
}

core::Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return ErrnoError("cannot create directory", part);
  }
  return {};
}

core::Status MakePrivateDir(const std::string& path) {
  if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
    KILN_TRY(MakeDirs(path.substr(0, slash)));
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return ErrnoError("cannot create directory", path);
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return ErrnoError("cannot open", path);
  if (!S_ISDIR(st.st_mode))
    return core::Fail(core::ErrorCode::kIo, path + " is not a directory");
  if ((st.st_mode & 077) != 0 && chmod(path.c_str(), 0700) != 0)
    return ErrnoError("cannot make private", path);
  return {};
}

FdReader::~FdReader() {
  if (fd_ >= 0) close(fd_);
}

core::Result<size_t> FdReader::Read(void* buffer, size_t size) {
  for (;;) {
    ssize_t n = read(fd_, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoError("cannot read", path_);
  }
}

}  // namespace kiln::layers
