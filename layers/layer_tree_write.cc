// LayerTree::WriteTo: entries in sorted order, host files opened and re-stated as they are
// written, repeated inodes written as hard links.
#include <map>

#include "core/sys_fs.h"
#include "layers/fs_util.h"
#include "layers/layer_rules.h"
#include "layers/layer_tree.h"

namespace kiln::layers {
namespace {

uint32_t DefaultMode(EntryType t) {
  switch (t) {
    case EntryType::kDirectory: return 0755;
    case EntryType::kSymlink: return 0777;
    default: return 0644;
  }
}

}  // namespace

core::Status LayerTree::WriteTo(LayerWriter& writer, const FileDigestFn& on_file) const {
  // Files with more than one link, by inode: the first entry written for each (node id).
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> inodes;
  TarTime default_time{writer.options().source_date_epoch.value_or(0), 0};
  static const EntryMeta kNoMeta;
  TarEntry e;
  std::string host_path;
  writer.FromTree();  // unique keys, parents are directories: the record need not check them
  for (uint32_t id : Sorted()) {
    const Node& n = nodes_[id];
    const Extra* extra = ExtraOf(n);
    e = TarEntry{};
    e.type = n.type;
    e.name = NameOf(n);
    e.linkname = names_.strings().Get(n.link);
    if (extra) {
      e.devmajor = extra->devmajor;
      e.devminor = extra->devminor;
    }
    e.win_mountpoint = n.has(kJunction);
    e.mode = DefaultMode(e.type);
    e.mtime = default_time;
    // A Windows layer carries no host permission bits (NTFS has none; a Linux host's exec bits
    // would make the same tree give another layer than on Windows): the defaults, unless the
    // entry's metadata sets a mode.
    bool host_mode = flavor_ != LayerFlavor::kWindows;
    if (n.has(kHasInfo)) {
      if (host_mode) e.mode = n.mode & 07777;
      e.mtime = {n.mtime_sec, n.mtime_nsec};
    }
    std::optional<FdReader> file;
    if (n.has(kHasHost)) {
      host_path = HostPath(n);
      int fd = sys::Open(host_path, sys::kRead | sys::kNoFollow | sys::kNonBlock);
      if (fd < 0) return ErrnoError("cannot open", host_path);
      file.emplace(fd, host_path);
      // What the caller's walk saw is used as is (one stat per file); a file that shrinks
      // before it is read fails the layer, one that grows is cut at the size seen.
      uint64_t dev = n.dev, ino = n.ino, nlink = n.nlink, size = n.size;
      if (!n.has(kHasSize)) {
        sys::FileStat st;
        if (sys::Fstat(fd, &st) != 0) return ErrnoError("cannot stat", host_path);
        if (!st.IsRegular())
          return core::Fail(core::ErrorCode::kInvalidInput, host_path + " is not a regular file");
        size = st.size;
        if (!n.has(kHasInfo)) {  // else the caller's view, but without a size
          dev = st.dev;
          ino = st.ino;
          nlink = st.nlink;
          if (host_mode) e.mode = st.Permissions();
          e.mtime = {st.mtime_sec, st.mtime_nsec};
        }
      }
      e.size = size;
      if (nlink > 1) {
        auto [it, first] = inodes.try_emplace({dev, ino}, id);
        if (!first) {
          e.type = EntryType::kHardLink;
          e.linkname = NameOf(nodes_[it->second]);
          e.size = 0;
          file.reset();
        }
      }
    } else if (e.is_file() && extra) {
      e.size = extra->data.size();
    }
    if (IsWhiteoutName(e.name)) e.mode = 0;
    const EntryMeta& m = n.meta ? *metas_[n.meta - 1] : kNoMeta;
    if (m.mode) e.mode = *m.mode & 07777;
    if (m.uid) e.uid = *m.uid;
    if (m.gid) e.gid = *m.gid;
    if (m.mtime) e.mtime = *m.mtime;
    e.xattrs = m.xattrs;
    if (m.windows_attributes) e.win_attributes = m.windows_attributes;
    if (m.windows_owner && writer.options().windows_acl == windows::Acl::kUsers)
      e.win_security_descriptor = windows::SecurityDescriptor(*m.windows_owner);
    core::StringReader data(extra ? std::string_view(extra->data) : std::string_view());
    core::Reader* content = file ? static_cast<core::Reader*>(&*file) : &data;
    if (file && on_file && e.is_file()) {
      core::Digest sha256;
      KILN_TRY(writer.AddHashed(e, content, sha256));
      on_file(n.tag, host_path, sha256);
    } else {
      KILN_TRY(writer.Add(e, e.is_file() ? content : nullptr));
    }
    if (!extra) continue;
    for (const auto& [stream, bytes] : extra->streams) {
      TarEntry s;
      s.name = e.name + ":" + stream;
      s.mode = e.mode;
      s.mtime = e.mtime;
      s.size = bytes.size();
      core::StringReader r(bytes);
      KILN_TRY(writer.Add(s, &r));
    }
  }
  return {};
}

}  // namespace kiln::layers
