// LayerTree::WriteTo: entries in sorted order, host files opened and re-stated as they are
// written, repeated inodes written as hard links.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "layers/fs_util.h"
#include "layers/layer_rules.h"
#include "layers/layer_tree.h"

namespace kiln::layers {
namespace {

TarTime FromTimespec(const timespec& t) {
  return {static_cast<int64_t>(t.tv_sec), static_cast<uint32_t>(t.tv_nsec)};
}

uint32_t DefaultMode(EntryType t) {
  switch (t) {
    case EntryType::kDirectory: return 0755;
    case EntryType::kSymlink: return 0777;
    default: return 0644;
  }
}

}  // namespace

core::Status LayerTree::WriteTo(LayerWriter& writer, const FileDigestFn& on_file) const {
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;
  TarTime default_time{writer.options().source_date_epoch.value_or(0), 0};
  static const EntryMeta kNoMeta;
  TarEntry e;
  for (const Node* n : Sorted()) {
    e = TarEntry{};
    e.type = n->type;
    e.name = n->name;
    e.linkname = n->linkname;
    e.devmajor = n->devmajor;
    e.devminor = n->devminor;
    e.win_mountpoint = n->junction;
    e.mode = DefaultMode(e.type);
    e.mtime = default_time;
    if (n->info) {
      e.mode = n->info->mode & 07777;
      e.mtime = n->info->mtime;
    }
    std::optional<FdReader> file;
    if (!n->host_path.empty()) {
      int fd = open(n->host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (fd < 0) return ErrnoError("cannot open", n->host_path);
      file.emplace(fd, n->host_path);
      // What the caller's walk saw is used as is (one stat per file); a file that shrinks
      // before it is read fails the layer, one that grows is cut at the size seen.
      HostFileInfo info;
      if (n->info && n->info->size) {
        info = *n->info;
      } else {
        struct stat st;
        if (fstat(fd, &st) != 0) return ErrnoError("cannot stat", n->host_path);
        if (!S_ISREG(st.st_mode))
          return core::Fail(core::ErrorCode::kInvalidInput, n->host_path + " is not a regular file");
        info = {st.st_mode, FromTimespec(st.st_mtim), st.st_dev, st.st_ino, st.st_nlink,
                static_cast<uint64_t>(st.st_size)};
        if (n->info) {  // the caller's view, but without a size
          info = *n->info;
          info.size = static_cast<uint64_t>(st.st_size);
        }
        e.mode = info.mode & 07777;
        e.mtime = info.mtime;
      }
      e.size = *info.size;
      if (info.nlink > 1) {
        auto [it, first] = inodes.try_emplace({info.dev, info.ino}, e.name);
        if (!first) {
          e.type = EntryType::kHardLink;
          e.linkname = it->second;
          e.size = 0;
          file.reset();
        }
      }
    } else if (e.is_file() && n->extra) {
      e.size = n->extra->data.size();
    }
    if (IsWhiteoutName(e.name)) e.mode = 0;
    const EntryMeta& m = n->meta ? *n->meta : kNoMeta;
    if (m.mode) e.mode = *m.mode & 07777;
    if (m.uid) e.uid = *m.uid;
    if (m.gid) e.gid = *m.gid;
    if (m.mtime) e.mtime = *m.mtime;
    e.xattrs = m.xattrs;
    if (m.windows_attributes) e.win_attributes = m.windows_attributes;
    if (m.windows_owner && writer.options().windows_acl == windows::Acl::kUsers)
      e.win_security_descriptor = windows::SecurityDescriptor(*m.windows_owner);
    core::StringReader data(n->extra ? std::string_view(n->extra->data) : std::string_view());
    core::Reader* content = file ? static_cast<core::Reader*>(&*file) : &data;
    if (file && on_file && e.is_file()) {
      core::Digest sha256;
      KILN_TRY(writer.AddHashed(e, content, sha256));
      on_file(n->host_path, sha256);
    } else {
      KILN_TRY(writer.Add(e, e.is_file() ? content : nullptr));
    }
    if (!n->extra) continue;
    for (const auto& [stream, bytes] : n->extra->streams) {
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
