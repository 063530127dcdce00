#include "layers/root_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "layers/fs_util.h"

namespace kiln::layers {
namespace {

int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// Fallback without openat2: walk component by component, refusing symlinks.
int OpenNoSymlinks(int root, const std::string& rel) {
  int cur = dup(root);
  size_t pos = 0;
  while (cur >= 0 && pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string part = rel.substr(pos, slash - pos);
    pos = slash + 1;
    int next = part == ".." ? (errno = EXDEV, -1)
                            : openat(cur, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(cur);
    errno = e;
    cur = next;
  }
  return cur;
}

}  // namespace

core::Result<RootDir> RootDir::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", path);
  return RootDir(fd, path);
}

RootDir::~RootDir() {
  if (fd_ >= 0) close(fd_);
}

core::Result<int> RootDir::OpenDirImpl(const std::string& rel, bool& missing) const {
  missing = false;
  if (rel.empty()) return dup(fd_);
  static bool have_openat2 = true;
  int fd = -1;
  if (have_openat2) {
    fd = OpenAt2(fd_, rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno == ENOSYS) have_openat2 = false;
  }
  if (!have_openat2) fd = OpenNoSymlinks(fd_, rel);
  if (fd >= 0) return fd;
  int e = errno;
  if (e == ENOENT) {
    missing = true;
    return core::Fail(core::ErrorCode::kNotFound, "no directory " + rel + " under " + path_);
  }
  if (e == ENOTDIR || e == ELOOP)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      rel + " under " + path_ + " is not a directory" +
                          (have_openat2 ? "" : " (or goes through a symlink)"));
  return core::Fail(core::ErrorCode::kIo, "cannot open " + rel + " under " + path_ + ": " +
                                              std::strerror(e));
}

core::Result<int> RootDir::OpenOrMakeDir(
    const std::string& rel, const std::function<void(const std::string&)>& on_create) const {
  bool missing = false;
  auto fd = OpenDirImpl(rel, missing);
  if (fd || !missing) return fd;
  // Create the missing components one by one, each resolved from the root again.
  for (size_t pos = 0; pos <= rel.size();) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string prefix = rel.substr(0, slash);
    pos = slash + 1;
    bool gone = false;
    auto sub = OpenDirImpl(prefix, gone);
    if (sub) {
      close(*sub);
      continue;
    }
    if (!gone) return sub;
    auto cut = prefix.rfind('/');
    KILN_TRY(MakeDirIn(cut == std::string::npos ? "" : prefix.substr(0, cut),
                       cut == std::string::npos ? prefix : prefix.substr(cut + 1)));
    auto made = OpenDirImpl(prefix, gone);
    if (!made && gone)  // mkdir saw EEXIST: a symlink whose target (in the root) is missing
      return core::Fail(core::ErrorCode::kInvalidInput,
                        prefix + " under " + path_ + " is a symlink to a missing directory");
    if (!made) return made;
    close(*made);
    if (on_create) on_create(prefix);
  }
  return OpenDirImpl(rel, missing);
}

core::Result<int> RootDir::OpenDir(const std::string& rel) const {
  bool missing = false;
  return OpenDirImpl(rel, missing);
}

core::Status RootDir::MakeDirIn(const std::string& parent, const std::string& name) const {
  KILN_ASSIGN(int pfd, OpenDir(parent));
  int rc = mkdirat(pfd, name.c_str(), 0755);
  int e = errno;
  close(pfd);
  if (rc != 0 && e != EEXIST) {
    errno = e;
    return ErrnoError("cannot create directory", path_ + "/" + parent + "/" + name);
  }
  return {};
}

core::Status RemoveAllAt(int parent, const std::string& name) {
  struct stat st;
  if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return ErrnoError("cannot stat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoError("cannot open", name);
    DIR* d = fdopendir(fd);
    if (!d) {
      close(fd);
      return ErrnoError("cannot read", name);
    }
    std::vector<std::string> children;
    while (dirent* e = readdir(d)) {
      std::string c = e->d_name;
      if (c != "." && c != "..") children.push_back(c);
    }
    core::Status s;
    for (const auto& c : children) {
      s = RemoveAllAt(dirfd(d), c);
      if (!s) break;
    }
    closedir(d);
    KILN_TRY(s);
    if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return ErrnoError("cannot remove", name);
    return {};
  }
  if (unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT)
    return ErrnoError("cannot remove", name);
  return {};
}

}  // namespace kiln::layers
