// layers/host_tree.h on Windows: the same walk through core/sys_fs.h (UTF-8 names from
// FindFirstFileExW, `\\?\` paths, so non-ASCII names and paths past 260 characters work).
// Windows has no owners, xattrs or device nodes to carry: a file's mode is what core/sys_fs.h
// reports (0644, 0444 read-only, directories 0755), its time the last-write time. Files named
// .wh.<name> (empty) and .wh..wh..opq are whiteouts as on Linux, so the same tree gives the
// same layer on both hosts.
#include <cerrno>
#include <vector>

#include "core/cancel.h"
#include "core/sys_fs.h"
#include "layers/fs_util.h"
#include "layers/host_tree.h"
#include "layers/layer_rules.h"

namespace kiln::layers {
namespace {

TarTime Mtime(const sys::FileStat& st) { return {st.mtime_sec, st.mtime_nsec}; }

class Walker {
 public:
  Walker(LayerTree& tree, const HostTreeOptions& o)
      : tree_(tree), o_(o), windows_(tree.flavor() == LayerFlavor::kWindows) {}

  core::Status Walk(const std::string& host, const std::string& dest) {
    KILN_TRY(core::CheckCancelled());
    std::vector<std::string> names;
    if (sys::ListDir(host, &names) != 0) return ErrnoError("cannot read directory", host);
    for (const auto& name : names)
      KILN_TRY(Add(host + "/" + name, dest.empty() ? name : dest + "/" + name, name));
    return {};
  }

 private:
  EntryMeta Meta(const sys::FileStat& st) {
    EntryMeta m = o_.meta;
    if (!m.mode && !windows_) m.mode = st.Permissions();  // Windows layers: no host modes
    if (!m.mtime) m.mtime = Mtime(st);
    return m;
  }

  core::Status Add(const std::string& host, const std::string& dest, const std::string& base) {
    sys::FileStat st;
    if (sys::Lstat(host, &st) != 0) return ErrnoError("cannot stat", host);
    std::string parent = dest.substr(0, dest.rfind('/') + 1);
    if (st.IsDir()) {
      KILN_TRY(tree_.AddDirectory(dest, Meta(st)));
      return Walk(host, dest);
    }
    if (st.IsRegular()) {
      if (base == kOpaqueWhiteout) return tree_.AddOpaque(dest.substr(0, dest.rfind('/')));
      if (base.starts_with(".wh.") && st.size == 0)
        return tree_.AddWhiteout(parent + base.substr(4));
      HostFileInfo info{st.mode, Mtime(st), st.dev, st.ino, st.nlink, st.size};
      return tree_.AddFile(dest, host, o_.meta, info);
    }
    if (st.IsSymlink()) {
      std::string target;
      if (sys::ReadLink(host, &target) != 0) return ErrnoError("cannot read link", host);
      for (char& c : target)
        if (c == '\\') c = '/';
      EntryMeta m = Meta(st);
      m.mode = 0777;
      if (!windows_) return tree_.AddSymlink(dest, target, m);
      sys::FileStat to;
      bool dir = sys::Stat(host, &to) == 0 && to.IsDir();
      return tree_.AddSymlink(dest, windows::SymlinkTargetFromPosix(target), m, dir);
    }
    return {};  // devices, pipes: nothing a layer can hold from a Windows tree
  }

  LayerTree& tree_;
  const HostTreeOptions& o_;
  bool windows_;
};

}  // namespace

core::Status AddHostTree(LayerTree& tree, const std::string& host_dir,
                         std::string_view dest_prefix, const HostTreeOptions& options) {
  std::string root = host_dir;
  while (root.size() > 1 && (root.ends_with('/') || root.ends_with('\\'))) root.pop_back();
  sys::FileStat st;
  if (sys::Stat(root, &st) != 0) return ErrnoError("cannot read", root);
  if (!st.IsDir()) return core::Fail(core::ErrorCode::kInvalidInput, root + " is not a directory");
  std::string dest(dest_prefix);
  bool is_root = dest.empty() || (tree.flavor() == LayerFlavor::kWindows && dest == "Files");
  if (!is_root) {
    EntryMeta m = options.meta;
    if (!m.mode && tree.flavor() != LayerFlavor::kWindows) m.mode = st.Permissions();
    if (!m.mtime) m.mtime = Mtime(st);
    KILN_TRY(tree.AddDirectory(dest, m));
  }
  Walker w(tree, options);
  return w.Walk(root, dest);
}

}  // namespace kiln::layers
