#include "layers/apply_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "layers/compression.h"
#include "layers/fs_util.h"
#include "layers/layer_rules.h"
#include "layers/linux/in_root.h"
#include "layers/linux/unique_fd.h"
#include "layers/tar_reader.h"

namespace kiln::layers {
namespace {

std::unexpected<core::Error> Bad(std::string message) {
  return core::Fail(core::ErrorCode::kInvalidInput, std::move(message));
}

// Removes `name` in directory `parent` and everything under it, never following symlinks.
// Missing is fine.
core::Status RemoveAllAt(int parent, const std::string& name) {
  struct stat st;
  if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? core::Status{} : ErrnoError("cannot stat", name);
  if (S_ISDIR(st.st_mode)) {
    UniqueFd dir(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return ErrnoError("cannot open", name);
    KILN_ASSIGN(auto children, ListDir(dir.get()));
    for (const auto& c : children) KILN_TRY(RemoveAllAt(dir.get(), c));
  }
  if (unlinkat(parent, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    return ErrnoError("cannot remove", name);
  return {};
}

std::pair<std::string, std::string> Split(const std::string& name) {
  auto slash = name.rfind('/');
  if (slash == std::string::npos) return {"", name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

timespec Ts(TarTime t) { return {static_cast<time_t>(t.sec), static_cast<long>(t.nsec)}; }

std::string PosixTarget(std::string t) {
  for (char& c : t)
    if (c == '\\') c = '/';
  if (t.size() >= 2 && t[1] == ':') t = t.substr(2);
  return t;
}

struct DirMeta {
  std::string name;
  TarEntry entry;
};

class Applier {
 public:
  Applier(UniqueFd root, std::string root_path, const ApplyOptions& o)
      : root_(std::move(root)), root_path_(std::move(root_path)), o_(o),
        restore_owner_(o.restore_owner.value_or(geteuid() == 0)) {}

  core::Result<ApplyReport> Run(core::Reader& tar) {
    KILN_TRY(SetBudget());
    TarReader reader(tar);
    for (;;) {
      KILN_ASSIGN(const TarEntry* e, reader.Next());
      if (!e) break;
      ++report_.entries;
      auto s = Apply(*e, reader.content());
      if (!s) return core::Fail(s.error().Wrap("layer entry " + std::to_string(reader.index()) +
                                               " \"" + e->stored_name + "\""));
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) KILN_TRY(FinishDir(*it));
    return report_;
  }

 private:
  core::Status SetBudget() {
    budget_ = o_.max_bytes;
    struct statvfs vfs;
    if (fstatvfs(root_.get(), &vfs) == 0) {
      if (budget_ == 0) budget_ = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      inodes_ = vfs.f_favail;
    }
    return {};
  }

  // The name this layer writes under the root, or "" when the entry is skipped.
  core::Result<std::string> Target(const TarEntry& e, std::string name) {
    if (o_.flavor == LayerFlavor::kWindows) {
      if (!name.starts_with("Files/") || name.find(':') != std::string::npos) return std::string();
      name = name.substr(6);
    }
    if (name.empty()) return name;
    if (const char* why = UnsafeLinuxName(name)) return Bad(std::string("unsafe name: ") + why);
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1))
      if (symlinks_.count(name.substr(0, slash)))
        return Bad("goes through \"" + name.substr(0, slash) + "\", a symlink of this layer");
    return name;
  }

  core::Status Apply(const TarEntry& e, core::Reader& content) {
    KILN_ASSIGN(std::string name, Target(e, e.name));
    if (name.empty()) {
      ++report_.skipped;
      return {};
    }
    // A name seen before in this layer is replaced by the later entry, as docker does (a tar
    // may list a name twice); the checks below apply to the new entry as to any other.
    bool again = !seen_.insert(name).second;
    if (inodes_ && report_.entries > inodes_)
      return Bad("layer has more entries than the target has free inodes");
    auto [parent, base] = Split(name);
    if (base.starts_with(".wh.")) return Whiteout(parent, base);
    KILN_ASSIGN(UniqueFd dir, OpenParent(parent));
    int pfd = dir.get();
    struct stat st;
    bool exists = fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(e.is_dir() && S_ISDIR(st.st_mode))) {
      if (again && S_ISDIR(st.st_mode)) ForgetDirs(name);
      KILN_TRY(RemoveAllAt(pfd, base));
    }
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1))
      created_.insert(name.substr(0, slash));  // parents this layer made exist
    created_.insert(name);
    symlinks_.erase(name);
    switch (e.type) {
      case EntryType::kDirectory:
        if (!exists || !S_ISDIR(st.st_mode))
          if (mkdirat(pfd, base.c_str(), 0700) != 0) return ErrnoError("cannot create", name);
        if (again) ForgetDirs(name, /*below=*/false);  // the last entry's metadata wins
        dirs_.push_back({name, e});
        return {};
      case EntryType::kFile: return WriteFile(pfd, base, e, content);
      case EntryType::kSymlink: return Symlink(pfd, base, name, e);
      case EntryType::kHardLink: return HardLink(pfd, base, e);
      default: return Special(pfd, base, e);
    }
  }

  // Drops the pending metadata of directory `name` (and, with `below`, of directories under it)
  // when a later entry of this layer replaces it.
  void ForgetDirs(const std::string& name, bool below = true) {
    std::erase_if(dirs_, [&](const DirMeta& d) {
      return d.name == name || (below && d.name.size() > name.size() && d.name.starts_with(name) &&
                                d.name[name.size()] == '/');
    });
  }

  core::Status Whiteout(const std::string& parent, const std::string& base) {
    bool opaque = base == kOpaqueWhiteout;
    std::string target = opaque ? parent : (parent.empty() ? "" : parent + "/") + base.substr(4);
    if (o_.whiteouts == WhiteoutMode::kOverlay) {
      KILN_ASSIGN(UniqueFd dir, OpenParent(parent));
      int fd = dir.get();
      if (opaque) {
        if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) != 0)
          return ErrnoError("cannot mark opaque", parent);
        return {};
      }
      KILN_TRY(RemoveAllAt(fd, base.substr(4)));
      if (mknodat(fd, base.substr(4).c_str(), S_IFCHR, makedev(0, 0)) != 0)
        return ErrnoError("cannot create whiteout", target);
      return {};
    }
    auto dir = OpenInRoot(root_.get(), parent, O_RDONLY | O_DIRECTORY);
    if (!dir && dir.error().code == core::ErrorCode::kNotFound) return {};  // nothing to hide
    if (!dir) return std::unexpected(dir.error());
    if (!opaque) {
      if (created_.count(target)) return {};  // whiteouts hide lower layers only
      return RemoveAllAt(dir->get(), base.substr(4));
    }
    KILN_ASSIGN(auto children, ListDir(dir->get()));
    for (const auto& c : children)
      if (!created_.count(parent.empty() ? c : parent + "/" + c)) KILN_TRY(RemoveAllAt(dir->get(), c));
    return {};
  }

  core::Status WriteFile(int pfd, const std::string& base, const TarEntry& e, core::Reader& in) {
    if (e.size > budget_ - std::min(budget_, report_.bytes)) {
      if (o_.max_bytes == 0)  // the budget is the free space
        return core::Fail(core::ErrorCode::kIo,
                          "not enough free space at " + root_path_ + ": the layer's files need more "
                          "than the " + std::to_string(budget_) + " bytes available");
      return Bad("layer content exceeds the budget of " + std::to_string(budget_) +
                 " bytes (the decompression bomb limit)");
    }
    UniqueFd file(openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) return ErrnoError("cannot create", base);
    int fd = file.get();
    std::vector<char> buf(std::min<uint64_t>(e.size, 1 << 20));
    for (;;) {
      KILN_ASSIGN(size_t n, in.Read(buf.data(), buf.size()));
      if (n == 0) break;
      for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, buf.data() + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == ENOSPC || errno == EDQUOT))
          return core::Fail(core::ErrorCode::kIo, "not enough free space at " + root_path_ +
                                                      " (writing " + e.name + ": " +
                                                      std::strerror(errno) + ")");
        if (w < 0) return ErrnoError("cannot write", base);
        done += static_cast<size_t>(w);
      }
      report_.bytes += n;
    }
    KILN_TRY(Attributes(fd, e));
    timespec times[2] = {Ts(e.atime.value_or(e.mtime)), Ts(e.mtime)};
    futimens(fd, times);
    return {};
  }

  core::Status Attributes(int fd, const TarEntry& e) {
    if (restore_owner_ && fchown(fd, e.uid, e.gid) != 0) return ErrnoError("cannot chown", e.name);
    if (fchmod(fd, e.mode & 07777) != 0) return ErrnoError("cannot chmod", e.name);
    for (const auto& [k, v] : e.xattrs)
      if (fsetxattr(fd, k.c_str(), v.data(), v.size(), 0) != 0 && errno != ENOTSUP && errno != EPERM)
        return ErrnoError("cannot set xattr " + k + " on", e.name);
    return {};
  }

  core::Status Symlink(int pfd, const std::string& base, const std::string& name, const TarEntry& e) {
    std::string target = o_.flavor == LayerFlavor::kWindows ? PosixTarget(e.linkname) : e.linkname;
    if (symlinkat(target.c_str(), pfd, base.c_str()) != 0) return ErrnoError("cannot create symlink", name);
    symlinks_.insert(name);
    if (restore_owner_) fchownat(pfd, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW);
    timespec times[2] = {Ts(e.mtime), Ts(e.mtime)};
    utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  core::Status HardLink(int pfd, const std::string& base, const TarEntry& e) {
    KILN_ASSIGN(std::string target, Target(e, e.linkname));
    if (target.empty()) return Bad("hard link to \"" + e.linkname + "\" outside the layer's files");
    auto [tparent, tbase] = Split(target);
    auto tdir = OpenInRoot(root_.get(), tparent, O_RDONLY | O_DIRECTORY);
    if (!tdir) return Bad("hard link target \"" + e.linkname + "\" does not exist");
    // linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to.
    if (linkat(tdir->get(), tbase.c_str(), pfd, base.c_str(), 0) != 0)
      return ErrnoError("cannot link to " + e.linkname + " as", e.name);
    return {};
  }

  core::Status Special(int pfd, const std::string& base, const TarEntry& e) {
    mode_t type = e.type == EntryType::kCharDevice   ? S_IFCHR
                  : e.type == EntryType::kBlockDevice ? S_IFBLK
                                                      : S_IFIFO;
    if (mknodat(pfd, base.c_str(), type | (e.mode & 07777), makedev(e.devmajor, e.devminor)) != 0) {
      if (errno == EPERM && type != S_IFIFO) {
        ++report_.skipped;  // devices need CAP_MKNOD; an unprivileged unpack skips them
        return {};
      }
      return ErrnoError("cannot create device", e.name);
    }
    return {};
  }

  core::Status FinishDir(const DirMeta& d) {
    KILN_ASSIGN(UniqueFd dir, OpenInRoot(root_.get(), d.name, O_RDONLY | O_DIRECTORY));
    int fd = dir.get();
    KILN_TRY(Attributes(fd, d.entry));
    timespec times[2] = {Ts(d.entry.atime.value_or(d.entry.mtime)), Ts(d.entry.mtime)};
    futimens(fd, times);
    return {};
  }

  // The parent directory of an entry, created (with its parents) when missing; every lookup
  // resolves inside the root.
  core::Result<UniqueFd> OpenParent(const std::string& parent) {
    KILN_TRY(MkdirAllInRoot(root_.get(), parent, 0755));
    auto dir = OpenInRoot(root_.get(), parent, O_RDONLY | O_DIRECTORY);
    if (!dir && dir.error().code == core::ErrorCode::kNotFound)  // mkdir met a dangling link
      return Bad("\"" + parent + "\" is a symlink to a missing directory");
    return dir;
  }

  UniqueFd root_;
  std::string root_path_;  // for messages
  ApplyOptions o_;
  bool restore_owner_;
  uint64_t budget_ = 0, inodes_ = 0;
  ApplyReport report_;
  std::unordered_set<std::string> seen_, created_, symlinks_;
  std::vector<DirMeta> dirs_;
};

}  // namespace

core::Result<ApplyReport> ApplyLayer(core::Reader& tar, const std::string& root,
                                     const ApplyOptions& options) {
  KILN_ASSIGN(UniqueFd dir, OpenDir(root));
  Applier a(std::move(dir), root, options);
  return a.Run(tar);
}

core::Result<ApplyReport> ApplyLayerBlob(core::Reader& blob, const std::string& root,
                                         const ApplyOptions& options) {
  // The decompressor's limit follows the budget; ApplyLayer gets the caller's options, so with
  // max_bytes 0 its own budget stays "the free space" and a shortage is reported as that.
  uint64_t limit = options.max_bytes;
  if (limit == 0) {
    struct statvfs vfs;
    if (statvfs(root.c_str(), &vfs) == 0) limit = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  // Headers cost at most ~3 KiB per entry on top of the content; allow for it generously.
  KILN_ASSIGN(auto tar, NewDecompressor(blob, {limit + limit / 8 + (64 << 20)}));
  return ApplyLayer(*tar, root, options);
}

}  // namespace kiln::layers
