// layers/owned_temp.h on Windows. A temp file is created through core/sys_fs.h and locked with
// its LockFileEx byte-range lock (released by the system when the writer dies). A temp
// directory is held open by its writer without FILE_SHARE_DELETE: a sweeper's open asking for
// DELETE access then fails with a sharing violation while the writer lives, and succeeds once
// the system has closed a dead writer's handle.
#include <windows.h>
#include <io.h>

#include <cerrno>
#include <filesystem>
#include <utility>
#include <vector>

#include "core/sys_fs.h"
#include "core/windows/win_text.h"
#include "layers/owned_temp.h"

namespace kiln::layers {
namespace {

constexpr int kAttempts = 16;

bool StillAt(int fd, const std::string& path) {
  sys::FileStat held, now;
  return sys::Fstat(fd, &held) == 0 && sys::Lstat(path, &now) == 0 && held.dev == now.dev &&
         held.ino == now.ino;
}

// A directory handle that denies deletion to everyone else (the directory's "lock").
HANDLE HoldDirectory(const std::string& path) {
  return CreateFileW(sys::Win32Path(path).c_str(), FILE_LIST_DIRECTORY | DELETE,
                     FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                     FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
}

}  // namespace

core::Result<int> CreateOwnedTempFile(std::string& path_template) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = path_template;
    int fd = sys::MakeTempFile(path);
    if (fd < 0)
      return core::Fail(core::ErrorCode::kIo, "cannot create temporary file " + path_template +
                                                  ": " + sys::ErrorText(errno));
    if (sys::Lock(fd, sys::LockMode::kExclusive, true) == 0 && StillAt(fd, path)) {
      path_template = path;
      return fd;
    }
    sys::Close(fd);
  }
  return core::Fail(core::ErrorCode::kIo, "cannot create temporary file " + path_template +
                                              ": removed by another kiln process each time");
}

core::Result<OwnedTempDir> OwnedTempDir::Create(std::string path_template) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = path_template;
    if (sys::MakeTempDir(path) != 0)
      return core::Fail(core::ErrorCode::kIo, "cannot create directory " + path_template + ": " +
                                                  sys::ErrorText(errno));
    HANDLE h = HoldDirectory(path);
    if (h == INVALID_HANDLE_VALUE) continue;  // a sweeper holds it: it goes, make another
    // The descriptor owns the handle; closing it releases the directory.
    int fd = _open_osfhandle(reinterpret_cast<intptr_t>(h), 0);
    if (fd < 0) {
      CloseHandle(h);
      return core::Fail(core::ErrorCode::kIo, "cannot create directory " + path + ": no descriptor");
    }
    return OwnedTempDir(fd, path);
  }
  return core::Fail(core::ErrorCode::kIo, "cannot create directory " + path_template +
                                              ": removed by another kiln process each time");
}

OwnedTempDir::OwnedTempDir(OwnedTempDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OwnedTempDir& OwnedTempDir::operator=(OwnedTempDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::Close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

OwnedTempDir::~OwnedTempDir() {
  if (fd_ >= 0) sys::Close(fd_);
}

size_t RemoveOrphanTemps(const std::string& dir,
                         const std::function<bool(std::string_view name)>& is_temp) {
  std::vector<std::string> all, names;
  if (sys::ListDir(dir, &all) == 0)
    for (auto& name : all)
      if (is_temp(name)) names.push_back(std::move(name));
  size_t removed = 0;
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    sys::FileStat st;
    if (sys::Lstat(path, &st) != 0 || !(st.IsRegular() || st.IsDir())) continue;
    if (st.IsDir()) {
      HANDLE h = HoldDirectory(path);
      if (h == INVALID_HANDLE_VALUE) continue;  // its writer is alive
      // Nobody else can hold it now; the handle must go before the directory can.
      CloseHandle(h);
      std::error_code ec;
      if (std::filesystem::remove_all(std::filesystem::path(sys::Win32Path(path)), ec) > 0 && !ec)
        ++removed;
      continue;
    }
    int fd = sys::Open(path, sys::kRead | sys::kNoFollow);
    if (fd < 0) continue;
    if (sys::Lock(fd, sys::LockMode::kExclusive, true) == 0 && StillAt(fd, path) &&
        sys::Unlink(path) == 0)
      ++removed;
    sys::Close(fd);
  }
  return removed;
}

}  // namespace kiln::layers
