// Windows file metadata as the layer code sees it: FILE_BASIC_INFO (times as FILETIME ticks and
// attributes) and FILETIME <-> tar time conversion.
// Platform-neutral.
#pragma once

#include <cstdint>

#include "layers/tar_entry.h"
#include "layers/windows_layer.h"  // kAttrDirectory, kAttrReparsePoint...

namespace kiln::layers::windows {

inline constexpr uint32_t kAttrNormal = 0x80;
inline constexpr uint32_t kAttrSparseFile = 0x200;

// FILE_BASIC_INFO. Times are FILETIME ticks: 100 ns units since 1601-01-01 UTC.
struct FileBasicInfo {
  int64_t creation_time = 0;
  int64_t last_access_time = 0;
  int64_t last_write_time = 0;
  int64_t change_time = 0;
  uint32_t attributes = 0;
  bool operator==(const FileBasicInfo&) const = default;
};

// FILETIME ticks <-> seconds/nanoseconds since the Unix epoch (exact to 100 ns; tar times with
// finer nanoseconds are truncated towards the past, as Go's NsecToFiletime does).
TarTime FileTimeToTarTime(int64_t ticks);
int64_t TarTimeToFileTime(const TarTime& t);

// The basic info an imported entry gets (go-winio FileInfoFromHeader): attributes from
// MSWINDOWS.fileattr, else FILE_ATTRIBUTE_DIRECTORY for directories and 0 otherwise; times from
// mtime/atime/ctime, creation time from LIBARCHIVE.creationtime or else mtime.
FileBasicInfo BasicInfoFromEntry(const TarEntry& entry);
// Fills an exported entry's times and attributes from basic info (go-winio BasicInfoHeader).
void ApplyBasicInfo(const FileBasicInfo& info, TarEntry& entry);

}  // namespace kiln::layers::windows
