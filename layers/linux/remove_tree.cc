#include "layers/linux/remove_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layers/linux/in_root.h"
#include "layers/linux/overlay_mount.h"
#include "layers/linux/unique_fd.h"

namespace kiln::layers {
namespace {

core::Error Io(const std::string& what) {
  return core::Error{core::ErrorCode::kIo, what + ": " + std::strerror(errno), std::nullopt};
}

// Empties the directory open at `dir_fd` (on device `dev`); `path` is for messages.
core::Status EmptyDir(int dir_fd, dev_t dev, const std::string& path) {
  auto names = ListDir(dir_fd);
  if (!names) return core::Fail(names.error().Wrap(path));
  core::Status status;
  for (const auto& name : *names) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string child = path + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        status = core::Fail(core::ErrorCode::kIo, "not removing " + child + ": a mount point");
        continue;
      }
      UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      // Directories without write/search permission for root are fine: root ignores modes.
      if (!sub.valid()) {
        status = core::Fail(Io("cannot open " + child));
        continue;
      }
      if (auto s = EmptyDir(sub.get(), dev, child); !s) {
        status = s;
        continue;
      }
    }
    if (::unlinkat(dir_fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && status)
      status = core::Fail(Io("cannot remove " + child));
  }
  return status;
}

}  // namespace

core::Status RemoveTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return core::Fail(Io("cannot stat " + path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return core::Fail(Io("cannot remove " + path));
    return {};
  }
  if (IsMountPoint(path))
    return core::Fail(core::ErrorCode::kIo, "not removing " + path + ": still mounted");
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return core::Fail(Io("cannot open " + path));
  KILN_TRY(EmptyDir(fd.get(), st.st_dev, path));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return core::Fail(Io("cannot remove " + path));
  return {};
}

}  // namespace kiln::layers
