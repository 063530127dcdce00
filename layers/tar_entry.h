// One tar entry with everything kiln reads or writes about it: POSIX fields, Linux xattrs and the
// Windows PAX records (MSWINDOWS.*). The shared currency of the tar codec, the layer writers, the
// snapshotters' diffs and the shrink passes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kiln::layers {

// A PAX time: seconds since the Unix epoch (may be negative) and nanoseconds.
struct TarTime {
  int64_t sec = 0;
  uint32_t nsec = 0;
  auto operator<=>(const TarTime&) const = default;
};

enum class EntryType : char {
  kFile = '0',
  kHardLink = '1',
  kSymlink = '2',
  kCharDevice = '3',
  kBlockDevice = '4',
  kDirectory = '5',
  kFifo = '6',
};

struct TarEntry {
  EntryType type = EntryType::kFile;
  std::string name;      // relative, '/'-separated, no leading "./" or "/", no trailing '/'
  std::string stored_name;  // TarReader only: the name exactly as stored (before normalisation)
  std::string linkname;  // symlink target, or for hard links the name of an earlier entry
  uint64_t size = 0;     // bytes of content (regular files only)
  uint32_t mode = 0644;  // permission bits incl. setuid/setgid/sticky; not the file-type bits
  uint32_t uid = 0, gid = 0;
  std::string uname, gname;
  uint32_t devmajor = 0, devminor = 0;
  TarTime mtime;
  std::optional<TarTime> atime, ctime;
  std::optional<TarTime> creation_time;          // LIBARCHIVE.creationtime
  std::map<std::string, std::string> xattrs;     // SCHILY.xattr.<name> -> raw value (Linux)

  // Windows (windows-layer-format.md 1.3); empty/nullopt when absent.
  std::optional<uint32_t> win_attributes;        // MSWINDOWS.fileattr (FILE_ATTRIBUTE_*)
  std::string win_security_descriptor;           // MSWINDOWS.rawsd, decoded raw bytes
  bool win_mountpoint = false;                   // MSWINDOWS.mountpoint (junction)
  std::map<std::string, std::string> win_eas;    // MSWINDOWS.xattr.<name> -> raw value

  std::map<std::string, std::string> pax_extra;  // any other PAX record, kept verbatim

  bool is_dir() const { return type == EntryType::kDirectory; }
  bool is_file() const { return type == EntryType::kFile; }
};

}  // namespace kiln::layers
