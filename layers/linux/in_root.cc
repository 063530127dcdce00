#include "layers/linux/in_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln::layers {
namespace {

core::Result<UniqueFd> Openat2(int dir_fd, std::string_view path, int flags, mode_t mode,
                               uint64_t resolve) {
  std::string rel(path);
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = resolve;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dir_fd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || errno == EAGAIN) continue;
    int err = errno;
    auto code = err == ENOENT ? core::ErrorCode::kNotFound : core::ErrorCode::kIo;
    std::string why = std::strerror(err);
    if (err == ELOOP || err == EXDEV) {  // a symlink or ".." where none may be crossed
      code = core::ErrorCode::kInvalidInput;
      why = "leads through a symlink or out of its root";
    }
    return core::Fail(code, "/" + (rel == "." ? std::string() : rel) + ": " + why);
  }
}

}  // namespace

core::Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, mode_t mode) {
  return Openat2(root_fd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

core::Result<UniqueFd> OpenBeneath(int root_fd, std::string_view path, int flags) {
  return Openat2(root_fd, path, flags, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
}

core::Result<UniqueFd> OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    auto code = err == ENOENT ? core::ErrorCode::kNotFound : core::ErrorCode::kIo;
    return core::Fail(code, path + ": " + std::strerror(err));
  }
  return fd;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::pair<std::string, std::string> SplitParent(std::string_view path) {
  auto parts = SplitPath(path);
  if (parts.empty()) return {"", ""};
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!parent.empty()) parent += '/';
    parent += parts[i];
  }
  return {parent, parts.back()};
}

core::Status MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode) {
  auto [parent, name] = SplitParent(path);
  if (name.empty()) return {};
  std::string full = parent.empty() ? name : parent + "/" + name;
  auto existing = OpenInRoot(root_fd, full, O_PATH);
  if (existing) {
    struct stat st {};
    if (::fstat(existing->get(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return core::Fail(core::ErrorCode::kInvalidInput, "/" + full + " is not a directory");
  }
  if (existing.error().code != core::ErrorCode::kNotFound) return core::Fail(existing.error());
  KILN_TRY(MkdirAllInRoot(root_fd, parent, mode));
  KILN_ASSIGN(UniqueFd dir, OpenInRoot(root_fd, parent, O_RDONLY | O_DIRECTORY));
  if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST)
    return core::Fail(core::ErrorCode::kIo, "cannot create /" + full + ": " + std::strerror(errno));
  return {};
}

core::Result<std::vector<std::string>> ListDir(int dir_fd) {
  int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!dir) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    return core::Fail(core::ErrorCode::kIo,
                      std::string("cannot list directory: ") + std::strerror(err));
  }
  ::rewinddir(dir);  // the dup shares its position with dir_fd
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(dir);
  if (err)
    return core::Fail(core::ErrorCode::kIo,
                      std::string("cannot list directory: ") + std::strerror(err));
  return names;
}

core::Result<std::string> ReadFileInRoot(int root_fd, std::string_view path, size_t limit) {
  KILN_ASSIGN(UniqueFd fd, OpenInRoot(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return core::Fail(core::ErrorCode::kInvalidInput, std::string(path) + ": not a regular file");
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return core::Fail(core::ErrorCode::kIo, std::string(path) + ": " + std::strerror(errno));
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > limit)
      return core::Fail(core::ErrorCode::kInvalidInput, std::string(path) + ": file too large");
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace kiln::layers
