// core/sys_fs.h on POSIX hosts: straight calls, same errno.
#include "core/sys_fs.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#ifdef __linux__
#include <linux/fs.h>  // FICLONE
#endif

namespace kiln::sys {
namespace {

void Convert(const struct stat& in, FileStat* out) {
  out->mode = in.st_mode;
  out->kind = S_ISREG(in.st_mode)    ? Kind::kRegular
              : S_ISDIR(in.st_mode)  ? Kind::kDirectory
              : S_ISLNK(in.st_mode)  ? Kind::kSymlink
              : S_ISCHR(in.st_mode)  ? Kind::kCharDevice
              : S_ISBLK(in.st_mode)  ? Kind::kBlockDevice
              : S_ISFIFO(in.st_mode) ? Kind::kFifo
                                     : Kind::kSocket;
  out->size = static_cast<uint64_t>(in.st_size);
  out->mtime_sec = in.st_mtim.tv_sec;
  out->mtime_nsec = static_cast<uint32_t>(in.st_mtim.tv_nsec);
  out->ctime_ns = in.st_ctim.tv_sec * 1000000000LL + in.st_ctim.tv_nsec;
  out->dev = in.st_dev;
  out->ino = in.st_ino;
  out->nlink = in.st_nlink;
  out->uid = in.st_uid;
  out->gid = in.st_gid;
  out->rdev_major = major(in.st_rdev);
  out->rdev_minor = minor(in.st_rdev);
}

}  // namespace

int Open(const std::string& path, int flags, uint32_t mode) {
  int f = O_CLOEXEC;
  f |= (flags & kReadWrite) ? O_RDWR : (flags & kWrite) ? O_WRONLY : O_RDONLY;
  if (flags & kCreate) f |= O_CREAT;
  if (flags & kTruncate) f |= O_TRUNC;
  if (flags & kExclusive) f |= O_EXCL;
  if (flags & kNoFollow) f |= O_NOFOLLOW;
  if (flags & kNonBlock) f |= O_NONBLOCK;
  if (flags & kDirectory) f |= O_DIRECTORY;
  return ::open(path.c_str(), f, static_cast<mode_t>(mode));
}

int64_t Read(int fd, void* buffer, size_t size) {
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

int64_t Write(int fd, const void* data, size_t size) {
  for (;;) {
    ssize_t n = ::write(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

int WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    int64_t n = Write(fd, p, size);
    if (n < 0) return -1;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int Close(int fd) { return ::close(fd); }
int Fsync(int fd) { return ::fsync(fd); }

int Seek(int fd, uint64_t offset) {
  return ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0 ? -1 : 0;
}

int Fstat(int fd, FileStat* st) {
  struct stat s;
  if (::fstat(fd, &s) != 0) return -1;
  Convert(s, st);
  return 0;
}

int Stat(const std::string& path, FileStat* st) {
  struct stat s;
  if (::stat(path.c_str(), &s) != 0) return -1;
  Convert(s, st);
  return 0;
}

int Lstat(const std::string& path, FileStat* st) {
  struct stat s;
  if (::lstat(path.c_str(), &s) != 0) return -1;
  Convert(s, st);
  return 0;
}

int ReadLink(const std::string& path, std::string* target) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) return -1;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      *target = std::move(buf);
      return 0;
    }
    buf.resize(buf.size() * 4);
  }
}

int ListDir(const std::string& path, std::vector<std::string>* names) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return -1;
  names->clear();
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names->emplace_back(n);
  }
  ::closedir(d);
  return 0;
}

int ListDirKinds(const std::string& path, std::vector<DirEntry>* entries) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return -1;
  entries->clear();
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    Kind kind = e->d_type == DT_REG    ? Kind::kRegular
                : e->d_type == DT_DIR  ? Kind::kDirectory
                : e->d_type == DT_LNK  ? Kind::kSymlink
                : e->d_type == DT_CHR  ? Kind::kCharDevice
                : e->d_type == DT_BLK  ? Kind::kBlockDevice
                : e->d_type == DT_FIFO ? Kind::kFifo
                : e->d_type == DT_SOCK ? Kind::kSocket
                                       : Kind::kNone;
    entries->push_back({std::string(n), kind});
  }
  ::closedir(d);
  return 0;
}

int MakeDir(const std::string& path, uint32_t mode) {
  return ::mkdir(path.c_str(), static_cast<mode_t>(mode));
}
int Chmod(const std::string& path, uint32_t mode) {
  return ::chmod(path.c_str(), static_cast<mode_t>(mode));
}
int Fchmod(int fd, uint32_t mode) { return ::fchmod(fd, static_cast<mode_t>(mode)); }
int Rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str());
}
int Unlink(const std::string& path) { return ::unlink(path.c_str()); }
int HardLink(const std::string& existing, const std::string& path) {
  return ::link(existing.c_str(), path.c_str());
}

int Lock(int fd, LockMode mode, bool nonblocking) {
  int op = (mode == LockMode::kShared ? LOCK_SH : LOCK_EX) | (nonblocking ? LOCK_NB : 0);
  for (;;) {
    if (::flock(fd, op) == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

int MakeTempFile(std::string& path_template) {
  return ::mkostemp(path_template.data(), O_CLOEXEC);
}

int MakeTempDir(std::string& path_template) {
  return ::mkdtemp(path_template.data()) ? 0 : -1;
}

int SyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  errno = e;
  return rc;
}

int CloneFile(int in, int out) {
#ifdef FICLONE
  return ::ioctl(out, FICLONE, in);
#else
  (void)in;
  (void)out;
  errno = EOPNOTSUPP;
  return -1;
#endif
}

void AdviseSequential(int fd) { ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); }

uint32_t ProcessId() { return static_cast<uint32_t>(::getpid()); }
uint32_t EffectiveUid() { return static_cast<uint32_t>(::geteuid()); }
std::string ErrorText(int errnum) { return std::strerror(errnum); }

bool FnMatch(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

int RealPath(const std::string& path, std::string* resolved) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return -1;
  *resolved = buf;
  return 0;
}

std::FILE* FOpen(const std::string& path, const char* mode) {
  return std::fopen(path.c_str(), mode);
}

}  // namespace kiln::sys
