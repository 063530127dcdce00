// layers/host_tree.h on POSIX hosts: fstatat/readlinkat walk, xattrs, device whiteouts.
#include "layers/host_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "core/cancel.h"
#include "layers/fs_util.h"
#include "layers/layer_rules.h"

namespace kiln::layers {
namespace {

TarTime Mtime(const struct stat& st) {
  return {static_cast<int64_t>(st.st_mtim.tv_sec), static_cast<uint32_t>(st.st_mtim.tv_nsec)};
}

class Walker {
 public:
  Walker(LayerTree& tree, const std::string& root, const HostTreeOptions& o)
      : tree_(tree), root_(root), o_(o), windows_(tree.flavor() == LayerFlavor::kWindows) {}

  core::Status Walk(const std::string& host, const std::string& rel, const std::string& dest) {
    KILN_TRY(core::CheckCancelled());
    int fd = open(host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return ErrnoError("cannot open directory", host);
    DIR* dir = fdopendir(fd);
    if (!dir) {
      close(fd);
      return ErrnoError("cannot read directory", host);
    }
    std::vector<std::string> names;
    while (dirent* d = readdir(dir)) {
      std::string_view n = d->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    core::Status status;
    for (const auto& name : names) {
      status = Add(fd, host + "/" + name, rel.empty() ? name : rel + "/" + name,
                   dest.empty() ? name : dest + "/" + name, name);
      if (!status) break;
    }
    closedir(dir);
    return status;
  }

 private:
  EntryMeta Meta(const struct stat& st, const std::string& host) {
    EntryMeta m = o_.meta;
    if (!m.mode && !windows_) m.mode = st.st_mode & 07777;  // Windows layers: no host modes
    if (!m.mtime) m.mtime = Mtime(st);
    if (!windows_ && o_.keep_owner) {
      if (!m.uid) m.uid = st.st_uid;
      if (!m.gid) m.gid = st.st_gid;
    }
    if (!windows_ && o_.xattrs) ReadXattrs(host, m);
    return m;
  }

  // Files carry mode and time in HostFileInfo: only owners, xattrs and overrides go here
  // (usually nothing, so nothing is allocated per file).
  EntryMeta FileMeta(const struct stat& st, const std::string& host) {
    EntryMeta m = o_.meta;
    if (!windows_ && o_.keep_owner) {
      if (!m.uid) m.uid = st.st_uid;
      if (!m.gid) m.gid = st.st_gid;
    }
    if (!windows_ && o_.xattrs) ReadXattrs(host, m);
    return m;
  }

  void ReadXattrs(const std::string& host, EntryMeta& m) {
    char names[4096];
    ssize_t len = llistxattr(host.c_str(), names, sizeof names);
    for (ssize_t i = 0; i < len;) {
      std::string key = names + i;
      i += static_cast<ssize_t>(key.size()) + 1;
      if (key.starts_with("trusted.overlay.") || key == "security.selinux") continue;
      char value[65536];
      ssize_t vlen = lgetxattr(host.c_str(), key.c_str(), value, sizeof value);
      if (vlen >= 0) m.xattrs[key] = std::string(value, static_cast<size_t>(vlen));
    }
  }

  bool IsOpaque(const std::string& host) {
    char v[4];
    ssize_t n = lgetxattr(host.c_str(), "trusted.overlay.opaque", v, sizeof v);
    return n == 1 && v[0] == 'y';
  }

  // Whether a symlink's target, resolved lexically inside the tree root, is a directory.
  bool TargetIsDirectory(const std::string& rel, const std::string& target) {
    std::string dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
    std::string path = target.starts_with('/') || dir.empty() ? target : dir + "/" + target;
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      std::string part = path.substr(start, end - start);
      start = end + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (parts.empty()) return false;  // leaves the tree: unknown, a file link
        parts.pop_back();
      } else {
        parts.push_back(part);
      }
    }
    std::string resolved = root_;
    for (const auto& p : parts) resolved += "/" + p;
    struct stat st;
    return stat(resolved.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  core::Status Add(int dirfd, const std::string& host, const std::string& rel,
                   const std::string& dest, const std::string& base) {
    struct stat st;
    if (fstatat(dirfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return ErrnoError("cannot stat", host);
    std::string parent = dest.substr(0, dest.rfind('/') + 1);
    if (S_ISDIR(st.st_mode)) {
      KILN_TRY(tree_.AddDirectory(dest, Meta(st, host)));
      if (!windows_ && IsOpaque(host)) KILN_TRY(tree_.AddOpaque(dest));
      return Walk(host, rel, dest);
    }
    if (S_ISREG(st.st_mode)) {
      if (base == kOpaqueWhiteout) return tree_.AddOpaque(dest.substr(0, dest.rfind('/')));
      if (base.starts_with(".wh.") && st.st_size == 0)
        return tree_.AddWhiteout(parent + base.substr(4));
      HostFileInfo info{st.st_mode, Mtime(st), st.st_dev, st.st_ino, st.st_nlink,
                        static_cast<uint64_t>(st.st_size)};
      return tree_.AddFile(dest, host, FileMeta(st, host), info);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dirfd, base.c_str(), target.data(), target.size());
      if (n < 0) return ErrnoError("cannot read link", host);
      target.resize(static_cast<size_t>(n));
      EntryMeta m = Meta(st, host);
      m.mode = 0777;
      if (!windows_) return tree_.AddSymlink(dest, target, m);
      bool dir = TargetIsDirectory(rel, target);
      return tree_.AddSymlink(dest, windows::SymlinkTargetFromPosix(target), m, dir);
    }
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0)
      return tree_.AddWhiteout(dest);  // overlayfs whiteout
    if (S_ISSOCK(st.st_mode)) return {};
    EntryType type = S_ISCHR(st.st_mode)   ? EntryType::kCharDevice
                     : S_ISBLK(st.st_mode) ? EntryType::kBlockDevice
                                           : EntryType::kFifo;
    return tree_.AddSpecial(dest, type, major(st.st_rdev), minor(st.st_rdev), Meta(st, host));
  }

  LayerTree& tree_;
  std::string root_;
  const HostTreeOptions& o_;
  bool windows_;
};

}  // namespace

core::Status AddHostTree(LayerTree& tree, const std::string& host_dir,
                         std::string_view dest_prefix, const HostTreeOptions& options) {
  std::string root = host_dir;
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  struct stat st;
  if (stat(root.c_str(), &st) != 0) return ErrnoError("cannot read", root);
  if (!S_ISDIR(st.st_mode))
    return core::Fail(core::ErrorCode::kInvalidInput, root + " is not a directory");
  std::string dest(dest_prefix);
  bool is_root = dest.empty() || (tree.flavor() == LayerFlavor::kWindows && dest == "Files");
  if (!is_root) {
    EntryMeta m = options.meta;
    if (!m.mode && tree.flavor() != LayerFlavor::kWindows) m.mode = st.st_mode & 07777;
    if (!m.mtime) m.mtime = Mtime(st);
    KILN_TRY(tree.AddDirectory(dest, m));
  }
  Walker w(tree, root, options);
  return w.Walk(root, "", dest);
}

}  // namespace kiln::layers
