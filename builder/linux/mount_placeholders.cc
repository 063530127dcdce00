#include "builder/linux/mount_placeholders.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layers/linux/in_root.h"

namespace kiln::builder {
namespace {

using layers::UniqueFd;

core::Error IoError(std::string_view what, std::string_view path) {
  return core::Error{
      core::ErrorCode::kIo,
      std::string(what) + " mount target /" + std::string(path) + ": " + std::strerror(errno),
      std::nullopt};
}

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

core::Status MountPlaceholders::Ensure(std::string_view target, bool file) {
  auto [parent, name] = layers::SplitParent(target);
  if (name.empty()) return {};  // the root itself
  std::string path = parent.empty() ? name : parent + "/" + name;
  auto existing = layers::OpenInRoot(root_fd_, path, O_PATH);
  if (existing) return {};
  if (existing.error().code != core::ErrorCode::kNotFound) return core::Fail(existing.error());
  KILN_TRY(Ensure(parent, false));
  return CreateIn(parent, name, file);
}

MountPlaceholders::Touched* MountPlaceholders::Touch(int dir_fd, const struct stat& st) {
  for (auto& t : touched_)
    if (t.dev == st.st_dev && t.ino == st.st_ino) return &t;
  int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  touched_.push_back(Touched{UniqueFd(fd), st.st_dev, st.st_ino, st.st_mtim, st.st_mtim});
  return &touched_.back();
}

core::Status MountPlaceholders::CreateIn(const std::string& parent_path, const std::string& name,
                                         bool file) {
  KILN_ASSIGN(UniqueFd parent, layers::OpenInRoot(root_fd_, parent_path, O_RDONLY | O_DIRECTORY));
  struct stat before {};
  if (::fstat(parent.get(), &before) != 0) return core::Fail(IoError("cannot stat", parent_path));
  // Only directories that existed before get their mtime restored; ours are removed anyway.
  bool ours = false;
  for (const auto& c : created_) ours = ours || c.path == parent_path;
  Touched* touched = ours ? nullptr : Touch(parent.get(), before);
  std::string path = parent_path.empty() ? name : parent_path + "/" + name;
  if (file) {
    UniqueFd fd(::openat(parent.get(), name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.valid()) return core::Fail(IoError("cannot create", path));
  } else if (::mkdirat(parent.get(), name.c_str(), 0755) != 0) {
    if (errno == EEXIST)  // a dangling symlink: its target is outside what we may create
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "cannot create mount target /" + path + ": it is a dangling symlink");
    return core::Fail(IoError("cannot create", path));
  }
  struct stat after {};
  if (touched && ::fstat(parent.get(), &after) == 0) touched->after = after.st_mtim;
  created_.push_back(Created{std::move(parent), name, path});
  return {};
}

core::Status MountPlaceholders::Remove() {
  std::vector<bool> unchanged;
  for (const auto& t : touched_) {
    struct stat st {};
    unchanged.push_back(::fstat(t.dir.get(), &st) == 0 && SameTime(st.st_mtim, t.after));
  }
  core::Status status;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    struct stat st {};
    if (::fstatat(it->parent.get(), it->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    int rc = 0;
    if (S_ISDIR(st.st_mode))
      rc = ::unlinkat(it->parent.get(), it->name.c_str(), AT_REMOVEDIR);
    else if (S_ISREG(st.st_mode) && st.st_size == 0)
      rc = ::unlinkat(it->parent.get(), it->name.c_str(), 0);
    if (rc != 0 && errno != ENOTEMPTY && errno != EEXIST && status)
      status = core::Fail(IoError("cannot remove", it->name));
  }
  for (size_t i = 0; i < touched_.size(); ++i) {
    if (!unchanged[i]) continue;
    timespec times[2] = {{0, UTIME_OMIT}, touched_[i].before};
    ::futimens(touched_[i].dir.get(), times);
  }
  created_.clear();
  touched_.clear();
  return status;
}

}  // namespace kiln::builder
