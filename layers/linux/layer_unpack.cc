#include "layers/linux/layer_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/cancel.h"
#include "core/digest.h"
#include "layers/compression.h"
#include "layers/layer_rules.h"
#include "layers/linux/in_root.h"
#include "layers/linux/remove_tree.h"
#include "layers/linux/xattrs.h"
#include "layers/tar_reader.h"

namespace kiln::layers {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";

core::Error Io(const std::string& what, const std::string& name) {
  return {core::ErrorCode::kIo, what + " " + name + ": " + std::strerror(errno), std::nullopt};
}

// Hashes what passes through: the diff_id covers the uncompressed bytes, end padding included.
class HashingReader : public core::Reader {
 public:
  explicit HashingReader(core::Reader& in) : in_(in) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, in_.Read(buffer, size));
    hasher_.Update(buffer, n);
    return n;
  }
  core::Digest Finish() { return hasher_.Finish(); }

 private:
  core::Reader& in_;
  core::Hasher hasher_;
};

timespec Time(const TarTime& t) { return {static_cast<time_t>(t.sec), static_cast<long>(t.nsec)}; }

class Unpacker {
 public:
  Unpacker(int root_fd, std::string dir) : root_fd_(root_fd), dir_(std::move(dir)) {}
  core::Status Apply(const TarEntry& e, core::Reader& content);
  core::Status Finish();  // directory times, once their children are in place

 private:
  core::Result<UniqueFd> Parent(const std::string& parent);
  core::Status ClearName(int parent_fd, const std::string& parent, const std::string& base,
                         bool keep_dir);
  core::Status WriteFile(int parent_fd, const std::string& base, const TarEntry& e,
                         core::Reader& content);
  core::Status SetMeta(int parent_fd, const std::string& base, const TarEntry& e);
  core::Status SetXattrs(int fd, const TarEntry& e);

  int root_fd_;
  std::string dir_;
  std::vector<std::pair<std::string, TarTime>> dir_times_;
};

// Opens (creating missing directories) the parent of an entry, never through a symlink.
core::Result<UniqueFd> Unpacker::Parent(const std::string& parent) {
  auto fd = OpenBeneath(root_fd_, parent, O_RDONLY | O_DIRECTORY);
  if (fd || fd.error().code != core::ErrorCode::kNotFound) return fd;
  auto [up, base] = SplitParent(parent);
  KILN_ASSIGN(UniqueFd up_fd, Parent(up));
  if (::mkdirat(up_fd.get(), base.c_str(), 0755) != 0 && errno != EEXIST)
    return core::Fail(Io("cannot create", parent));
  return OpenBeneath(root_fd_, parent, O_RDONLY | O_DIRECTORY);
}

// Makes room for an entry: a later entry replaces an earlier one of the same name, except that
// a directory entry over a directory only updates it.
core::Status Unpacker::ClearName(int parent_fd, const std::string& parent, const std::string& base,
                                 bool keep_dir) {
  struct stat st {};
  if (::fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  if (S_ISDIR(st.st_mode)) {
    if (keep_dir) return {};
    // A later entry of another type replaces the directory (as docker does): its times, and
    // those of what was below it, are no longer to be set.
    std::string name = parent.empty() ? base : parent + "/" + base;
    std::erase_if(dir_times_, [&](const auto& d) {
      return d.first == name || (d.first.size() > name.size() && d.first.starts_with(name) &&
                                 d.first[name.size()] == '/');
    });
    return RemoveTree(dir_ + "/" + name);
  }
  if (::unlinkat(parent_fd, base.c_str(), 0) != 0) return core::Fail(Io("cannot replace", base));
  return {};
}

core::Status Unpacker::SetXattrs(int fd, const TarEntry& e) {
  for (const auto& [name, value] : e.xattrs) {
    if (name.starts_with(kOverlayXattrPrefix)) continue;  // would change what overlayfs shows
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
      return core::Fail(Io("cannot set xattr " + name + " on", e.name));
  }
  return {};
}

core::Status Unpacker::WriteFile(int parent_fd, const std::string& base, const TarEntry& e,
                                 core::Reader& content) {
  UniqueFd fd(::openat(parent_fd, base.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return core::Fail(Io("cannot create", e.name));
  std::vector<char> buf(256 * 1024);
  for (uint64_t left = e.size; left > 0;) {
    KILN_ASSIGN(size_t n, content.Read(buf.data(), std::min<uint64_t>(buf.size(), left)));
    if (n == 0) return core::Fail(core::ErrorCode::kInvalidInput, e.name + ": truncated");
    for (size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), buf.data() + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return core::Fail(Io("cannot write", e.name));
      off += static_cast<size_t>(w);
    }
    left -= n;
  }
  // Owner first: chown clears setuid/setgid, so the mode comes after it.
  if (::fchown(fd.get(), e.uid, e.gid) != 0 || ::fchmod(fd.get(), e.mode & 07777) != 0)
    return core::Fail(Io("cannot set owner or mode of", e.name));
  KILN_TRY(SetXattrs(fd.get(), e));
  timespec times[2] = {Time(e.atime.value_or(e.mtime)), Time(e.mtime)};
  if (::futimens(fd.get(), times) != 0) return core::Fail(Io("cannot set times of", e.name));
  return {};
}

// Owner, mode and times of a symlink, device or fifo (no fd to hold).
core::Status Unpacker::SetMeta(int parent_fd, const std::string& base, const TarEntry& e) {
  if (::fchownat(parent_fd, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return core::Fail(Io("cannot set owner of", e.name));
  if (e.type != EntryType::kSymlink && ::fchmodat(parent_fd, base.c_str(), e.mode & 07777, 0) != 0)
    return core::Fail(Io("cannot set mode of", e.name));
  timespec times[2] = {Time(e.atime.value_or(e.mtime)), Time(e.mtime)};
  if (::utimensat(parent_fd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return core::Fail(Io("cannot set times of", e.name));
  return {};
}

core::Status Unpacker::Apply(const TarEntry& e, core::Reader& content) {
  if (e.name.empty() && e.is_dir()) return {};  // "./": the layer root itself
  if (const char* why = UnsafeLinuxName(e.name))
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "unsafe entry name \"" + e.name + "\": " + why);
  auto [parent, base] = SplitParent(e.name);
  KILN_ASSIGN(UniqueFd pfd, Parent(parent));
  int p = pfd.get();
  if (base == kOpaqueWhiteout) {
    if (::fsetxattr(p, kOverlayOpaque, "y", 1, 0) != 0)
      return core::Fail(Io("cannot mark opaque", parent));
    return {};
  }
  if (base.starts_with(kWhiteoutPrefix)) {
    std::string hidden = base.substr(kWhiteoutPrefix.size());
    KILN_TRY(ClearName(p, parent, hidden, false));
    if (::mknodat(p, hidden.c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0)
      return core::Fail(Io("cannot create whiteout", e.name));
    return {};
  }
  KILN_TRY(ClearName(p, parent, base, e.is_dir()));
  switch (e.type) {
    case EntryType::kDirectory: {
      if (::mkdirat(p, base.c_str(), 0700) != 0 && errno != EEXIST)
        return core::Fail(Io("cannot create", e.name));
      KILN_ASSIGN(UniqueFd d, OpenBeneath(p, base, O_RDONLY | O_DIRECTORY));
      if (::fchown(d.get(), e.uid, e.gid) != 0 || ::fchmod(d.get(), e.mode & 07777) != 0)
        return core::Fail(Io("cannot set owner or mode of", e.name));
      KILN_TRY(SetXattrs(d.get(), e));
      dir_times_.emplace_back(e.name, e.mtime);
      return {};
    }
    case EntryType::kFile:
      return WriteFile(p, base, e, content);
    case EntryType::kHardLink: {
      if (const char* why = UnsafeLinuxName(e.linkname))
        return core::Fail(core::ErrorCode::kInvalidInput,
                          "unsafe hard link target \"" + e.linkname + "\": " + why);
      auto [tparent, tbase] = SplitParent(e.linkname);
      KILN_ASSIGN(UniqueFd tfd, OpenBeneath(root_fd_, tparent, O_RDONLY | O_DIRECTORY));
      if (::linkat(tfd.get(), tbase.c_str(), p, base.c_str(), 0) != 0)
        return core::Fail(Io("cannot link " + e.linkname + " to", e.name));
      return {};
    }
    case EntryType::kSymlink:
      if (::symlinkat(e.linkname.c_str(), p, base.c_str()) != 0)
        return core::Fail(Io("cannot create symlink", e.name));
      return SetMeta(p, base, e);
    default: {
      mode_t type = e.type == EntryType::kCharDevice    ? S_IFCHR
                    : e.type == EntryType::kBlockDevice ? S_IFBLK
                                                        : S_IFIFO;
      if (::mknodat(p, base.c_str(), type | 0600, makedev(e.devmajor, e.devminor)) != 0)
        return core::Fail(Io("cannot create", e.name));
      return SetMeta(p, base, e);
    }
  }
}

core::Status Unpacker::Finish() {
  // Deepest first, so setting a parent's time is not undone by touching a child; a directory
  // listed twice gets the time of its last entry (stable order).
  std::stable_sort(dir_times_.begin(), dir_times_.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [name, mtime] : dir_times_) {
    KILN_ASSIGN(UniqueFd d, OpenBeneath(root_fd_, name, O_RDONLY | O_DIRECTORY));
    timespec times[2] = {Time(mtime), Time(mtime)};
    if (::futimens(d.get(), times) != 0) return core::Fail(Io("cannot set times of", name));
  }
  return {};
}

}  // namespace

core::Status UnpackLayer(core::Reader& blob, const core::Digest& diff_id, const std::string& dir) {
  KILN_ASSIGN(auto plain, NewDecompressor(blob));
  HashingReader hashed(*plain);
  TarReader tar(hashed);
  KILN_ASSIGN(UniqueFd root, OpenDir(dir));
  Unpacker unpacker(root.get(), dir);
  for (;;) {
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(const TarEntry* entry, tar.Next());
    if (!entry) break;
    KILN_TRY(unpacker.Apply(*entry, tar.content()));
  }
  char rest[16384];
  for (;;) {  // what follows the end-of-archive blocks still counts for the diff_id
    KILN_ASSIGN(size_t n, hashed.Read(rest, sizeof rest));
    if (n == 0) break;
  }
  KILN_TRY(unpacker.Finish());
  core::Digest got = hashed.Finish();
  if (got != diff_id)
    return core::Fail(core::ErrorCode::kConflict, "layer content does not match its diff_id " +
                                                      diff_id.ToString() + " (got " +
                                                      got.ToString() + ")");
  return {};
}

}  // namespace kiln::layers
