// layers/owned_temp.h on POSIX hosts: flock(2) on the temp entry itself.
#include "layers/owned_temp.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace kiln::layers {
namespace {

constexpr int kAttempts = 16;

// Whether `fd` is still the file at `path` (a sweeper may have removed it before we locked it).
bool StillAt(int fd, const std::string& path) {
  struct stat held {}, now{};
  return fstat(fd, &held) == 0 && lstat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
         held.st_ino == now.st_ino;
}

bool LockNow(int fd) {
  while (flock(fd, LOCK_EX | LOCK_NB) != 0)
    if (errno != EINTR) return false;
  return true;
}

}  // namespace

core::Result<int> CreateOwnedTempFile(std::string& path_template) {
  // Between mkstemp and flock a sweeper could lock the new file and remove it: then either our
  // lock fails or the name no longer leads to our file, and we make another one.
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = path_template;
    int fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0)
      return core::Fail(core::ErrorCode::kIo, "cannot create temporary file " + path_template +
                                                  ": " + std::strerror(errno));
    if (LockNow(fd) && StillAt(fd, path)) {
      path_template = path;
      return fd;
    }
    close(fd);
  }
  return core::Fail(core::ErrorCode::kIo, "cannot create temporary file " + path_template +
                                              ": removed by another kiln process each time");
}

core::Result<OwnedTempDir> OwnedTempDir::Create(std::string path_template) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = path_template;
    if (!mkdtemp(path.data()))
      return core::Fail(core::ErrorCode::kIo, "cannot create directory " + path_template + ": " +
                                                  std::strerror(errno));
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && LockNow(fd) && StillAt(fd, path)) return OwnedTempDir(fd, path);
    if (fd >= 0) close(fd);
  }
  return core::Fail(core::ErrorCode::kIo, "cannot create directory " + path_template +
                                              ": removed by another kiln process each time");
}

OwnedTempDir::OwnedTempDir(OwnedTempDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OwnedTempDir& OwnedTempDir::operator=(OwnedTempDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

OwnedTempDir::~OwnedTempDir() {
  if (fd_ >= 0) close(fd_);
}

size_t RemoveOrphanTemps(const std::string& dir,
                         const std::function<bool(std::string_view name)>& is_temp) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != ".." && is_temp(name)) names.emplace_back(name);
    }
    closedir(d);
  }
  size_t removed = 0;
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) continue;
    int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    // Removed while we hold the lock, so a writer that locks after us sees its name gone.
    if (LockNow(fd) && StillAt(fd, path)) {
      std::error_code ec;
      if (S_ISDIR(st.st_mode) ? std::filesystem::remove_all(path, ec) > 0 && !ec
                              : unlink(path.c_str()) == 0)
        ++removed;
    }
    close(fd);
  }
  return removed;
}

}  // namespace kiln::layers
