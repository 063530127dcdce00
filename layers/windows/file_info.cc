#include "layers/windows/file_info.h"

namespace kiln::layers::windows {
namespace {

constexpr int64_t kTicksPerSecond = 10'000'000;
// 1601-01-01 -> 1970-01-01 in FILETIME ticks.
constexpr int64_t kUnixEpochTicks = 116'444'736'000'000'000;

}  // namespace

TarTime FileTimeToTarTime(int64_t ticks) {
  int64_t since_unix = ticks - kUnixEpochTicks;
  int64_t sec = since_unix / kTicksPerSecond;
  int64_t rem = since_unix % kTicksPerSecond;
  if (rem < 0) rem += kTicksPerSecond, --sec;
  return TarTime{sec, static_cast<uint32_t>(rem * 100)};
}

int64_t TarTimeToFileTime(const TarTime& t) {
  return t.sec * kTicksPerSecond + static_cast<int64_t>(t.nsec / 100) + kUnixEpochTicks;
}

FileBasicInfo BasicInfoFromEntry(const TarEntry& entry) {
  FileBasicInfo info;
  info.last_write_time = TarTimeToFileTime(entry.mtime);
  info.last_access_time = TarTimeToFileTime(entry.atime.value_or(entry.mtime));
  info.change_time = TarTimeToFileTime(entry.ctime.value_or(entry.mtime));
  info.creation_time = TarTimeToFileTime(entry.creation_time.value_or(entry.mtime));
  if (entry.win_attributes)
    info.attributes = *entry.win_attributes;
  else if (entry.is_dir())
    info.attributes = kAttrDirectory;
  return info;
}

void ApplyBasicInfo(const FileBasicInfo& info, TarEntry& entry) {
  entry.win_attributes = info.attributes;
  entry.mtime = FileTimeToTarTime(info.last_write_time);
  entry.atime = FileTimeToTarTime(info.last_access_time);
  entry.ctime = FileTimeToTarTime(info.change_time);
  entry.creation_time = FileTimeToTarTime(info.creation_time);
}

}  // namespace kiln::layers::windows
