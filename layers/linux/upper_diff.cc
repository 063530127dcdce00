#include "layers/linux/upper_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "core/cancel.h"
#include "layers/fs_util.h"
#include "layers/linux/in_root.h"
#include "layers/linux/lower_view.h"
#include "layers/linux/unique_fd.h"
#include "layers/linux/xattrs.h"

namespace kiln::layers {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

core::Error Io(const std::string& what, const std::string& path) {
  return {core::ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno), std::nullopt};
}

TarTime Mtime(const struct stat& st) {
  return {st.st_mtim.tv_sec, static_cast<uint32_t>(st.st_mtim.tv_nsec)};
}

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsEmptyDir(int dir_fd) {
  auto names = ListDir(dir_fd);
  return names && names->empty();
}

class UpperWalker {
 public:
  UpperWalker(const std::string& upper, LowerView lowers, DiffSink& sink)
      : upper_(upper), lowers_(std::move(lowers)), sink_(sink) {}

  core::Status WalkDir(int dir_fd, const std::string& prefix);

 private:
  struct Child {
    std::string name;      // in the upper dir
    std::string tar_name;  // in the layer (".wh." added for whiteouts)
    struct stat st;
  };
  core::Result<std::vector<Child>> List(int dir_fd, const std::string& prefix);
  core::Status EmitDir(int parent_fd, const Child& c);
  core::Status EmitFile(int parent_fd, const Child& c);
  core::Status EmitOther(int parent_fd, const Child& c);
  TarEntry Base(const Child& c, EntryType type) const;

  std::string upper_;
  LowerView lowers_;
  DiffSink& sink_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first name of each multi-link inode
};

core::Result<std::vector<UpperWalker::Child>> UpperWalker::List(int dir_fd,
                                                                const std::string& prefix) {
  auto names = ListDir(dir_fd);
  if (!names) return core::Fail(names.error().Wrap(upper_ + "/" + prefix));
  std::vector<Child> children;
  for (auto& name : *names) {
    Child c{name, prefix + name, {}};
    if (::fstatat(dir_fd, name.c_str(), &c.st, AT_SYMLINK_NOFOLLOW) != 0)
      return core::Fail(Io("cannot stat", upper_ + "/" + prefix + name));
    if (IsWhiteout(c.st)) c.tar_name = prefix + std::string(kWhiteoutPrefix) + name;
    if (!S_ISSOCK(c.st.st_mode)) children.push_back(std::move(c));
  }
  std::sort(children.begin(), children.end(),
            [](const Child& a, const Child& b) { return a.tar_name < b.tar_name; });
  return children;
}

TarEntry UpperWalker::Base(const Child& c, EntryType type) const {
  TarEntry e;
  e.type = type;
  e.name = c.tar_name;
  e.mode = c.st.st_mode & 07777;
  e.uid = c.st.st_uid;
  e.gid = c.st.st_gid;
  e.mtime = Mtime(c.st);
  return e;
}

core::Status UpperWalker::WalkDir(int dir_fd, const std::string& prefix) {
  KILN_TRY(core::CheckCancelled());
  KILN_ASSIGN(auto children, List(dir_fd, prefix));
  for (const Child& c : children) {
    if (S_ISDIR(c.st.st_mode)) {
      KILN_TRY(EmitDir(dir_fd, c));
    } else if (S_ISREG(c.st.st_mode)) {
      KILN_TRY(EmitFile(dir_fd, c));
    } else {
      KILN_TRY(EmitOther(dir_fd, c));
    }
  }
  return {};
}

core::Status UpperWalker::EmitDir(int parent_fd, const Child& c) {
  std::string path = upper_ + "/" + c.tar_name;
  UniqueFd fd(::openat(parent_fd, c.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return core::Fail(Io("cannot open", path));
  TarEntry e = Base(c, EntryType::kDirectory);
  bool opaque = false;
  KILN_ASSIGN(e.xattrs, ReadXattrs(fd.get(), path, &opaque));
  if (!opaque && c.st.st_nlink <= 2 && IsEmptyDir(fd.get())) {
    auto lower = lowers_.FindDir(c.tar_name);
    if (lower && (lower->st.st_mode & 07777) == e.mode && lower->st.st_uid == e.uid &&
        lower->st.st_gid == e.gid && Mtime(lower->st) == e.mtime && lower->xattrs == e.xattrs)
      return {};  // copied up by overlayfs, nothing about it changed
  }
  KILN_TRY(sink_.Add(e, nullptr));
  if (opaque) {
    TarEntry marker = Base(c, EntryType::kFile);
    marker.name = c.tar_name + "/" + std::string(kOpaqueMarker);
    marker.mode &= 0777;
    KILN_TRY(sink_.Add(marker, nullptr));
  }
  return WalkDir(fd.get(), c.tar_name + "/");
}

core::Status UpperWalker::EmitFile(int parent_fd, const Child& c) {
  std::string path = upper_ + "/" + c.tar_name;
  if (c.st.st_nlink > 1) {
    auto [it, first] = links_.try_emplace({c.st.st_dev, c.st.st_ino}, c.tar_name);
    if (!first) {
      TarEntry link = Base(c, EntryType::kHardLink);
      link.linkname = it->second;
      return sink_.Add(link, nullptr);
    }
  }
  UniqueFd fd(::openat(parent_fd, c.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return core::Fail(Io("cannot open", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return core::Fail(Io("cannot stat", path));
  TarEntry e = Base(c, EntryType::kFile);
  e.size = static_cast<uint64_t>(st.st_size);
  KILN_ASSIGN(e.xattrs, ReadXattrs(fd.get(), path));
  FdReader content(fd.Release(), path);
  return sink_.Add(e, e.size > 0 ? &content : nullptr);
}

core::Status UpperWalker::EmitOther(int parent_fd, const Child& c) {
  if (IsWhiteout(c.st)) {
    TarEntry e = Base(c, EntryType::kFile);
    e.mode = 0600;
    return sink_.Add(e, nullptr);
  }
  if (S_ISLNK(c.st.st_mode)) {
    TarEntry e = Base(c, EntryType::kSymlink);
    std::string target(static_cast<size_t>(c.st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(parent_fd, c.name.c_str(), target.data(), target.size());
    if (n < 0) return core::Fail(Io("cannot read link", upper_ + "/" + c.tar_name));
    target.resize(static_cast<size_t>(n));
    e.linkname = std::move(target);
    return sink_.Add(e, nullptr);
  }
  EntryType type = S_ISCHR(c.st.st_mode)   ? EntryType::kCharDevice
                   : S_ISBLK(c.st.st_mode) ? EntryType::kBlockDevice
                                           : EntryType::kFifo;
  TarEntry e = Base(c, type);
  if (type != EntryType::kFifo) {
    e.devmajor = major(c.st.st_rdev);
    e.devminor = minor(c.st.st_rdev);
  }
  return sink_.Add(e, nullptr);
}

}  // namespace

core::Status DiffUpperDir(const std::string& upper, const std::vector<std::string>& lowers,
                          DiffSink& sink) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return core::Fail(Io("cannot open", upper));
  KILN_ASSIGN(LowerView view, LowerView::Open(lowers));
  UpperWalker walker(upper, std::move(view), sink);
  return walker.WalkDir(root.get(), "");
}

}  // namespace kiln::layers
