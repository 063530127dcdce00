// Thin layer (1), file side: the few file-system calls the windowsfilter code makes with Windows
// semantics (backup semantics, reparse points not followed, FILE_BASIC_INFO, BackupWrite, hard
// links, file ids). The real implementation is layer_fs_win.cc (Win32); tests use a
// std::filesystem-backed fake that keeps the Windows-only metadata beside the files.
// Paths are std::filesystem paths (wide on Windows, UTF-8 on Linux); names are never joined by
// hand.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "layers/windows/backup_stream.h"
#include "layers/windows/file_info.h"

namespace kiln::layers::windows {

namespace fs = std::filesystem;

// What identifies a file for hard-link detection (volume serial + 128-bit file id) and how many
// names it has.
struct FileLinkInfo {
  uint64_t volume = 0;
  uint64_t id_high = 0, id_low = 0;
  uint32_t links = 1;
  bool same_file(const FileLinkInfo& o) const {
    return volume == o.volume && id_high == o.id_high && id_low == o.id_low;
  }
};

struct DirEntry {
  std::string name;         // UTF-8, no separators
  uint32_t attributes = 0;  // FILE_ATTRIBUTE_*; kAttrDirectory for directories
  uint64_t size = 0;
};

// An open file or directory. Reads are positional (RandomAccess); writes append.
class FsFile : public RandomAccess {
 public:
  virtual core::Status Write(const void* data, size_t size) = 0;
  virtual core::Result<FileBasicInfo> GetBasicInfo() = 0;
  virtual core::Status SetBasicInfo(const FileBasicInfo& info) = 0;
  virtual core::Result<FileLinkInfo> GetLinkInfo() = 0;
  // Feeds the next bytes of a Win32 backup stream to BackupWrite (security included): the data,
  // security descriptor, EAs, reparse data and alternate streams of the file come from it.
  virtual core::Status BackupWrite(const void* data, size_t size) = 0;
  // Flushes and closes (ends a BackupWrite sequence). Destruction closes too, ignoring errors.
  virtual core::Status Close() = 0;
};

// core::Writer adapters over FsFile::Write and FsFile::BackupWrite.
class FsFileWriter : public core::Writer {
 public:
  explicit FsFileWriter(FsFile& file, bool backup = false) : file_(file), backup_(backup) {}
  core::Status Write(const void* data, size_t size) override {
    return backup_ ? file_.BackupWrite(data, size) : file_.Write(data, size);
  }
  using core::Writer::Write;

 private:
  FsFile& file_;
  bool backup_;
};

class LayerFs {
 public:
  enum class Kind { kFile, kDirectory };
  virtual ~LayerFs() = default;

  // Creates `path` (fails with kConflict if the name exists, kNotFound if the parent does not)
  // and opens it for writing data, basic info, security and backup streams.
  virtual core::Result<std::unique_ptr<FsFile>> CreateNew(const fs::path& path, Kind kind) = 0;
  // Creates a directory (fails with kConflict if the name exists).
  virtual core::Status MakeDirectory(const fs::path& path) = 0;
  // Opens an existing file or directory without following a reparse point at the last
  // component, for reading and for setting basic info.
  virtual core::Result<std::unique_ptr<FsFile>> Open(const fs::path& path) = 0;
  // FILE_ATTRIBUTE_* of `path` itself (a reparse point is not followed); nullopt if absent.
  virtual core::Result<std::optional<uint32_t>> Attributes(const fs::path& path) = 0;
  // Entries of a directory, unsorted, without "." and "..".
  virtual core::Result<std::vector<DirEntry>> List(const fs::path& dir) = 0;
  // Removes a file or an empty directory; kNotFound if it does not exist.
  virtual core::Status Remove(const fs::path& path) = 0;
  // Removes a tree kiln made itself (temp folders); ok if it does not exist.
  virtual core::Status RemoveTree(const fs::path& path) = 0;
  virtual core::Status Rename(const fs::path& from, const fs::path& to) = 0;
  // Creates `link` as another name of the existing file `target`.
  virtual core::Status HardLink(const fs::path& target, const fs::path& link) = 0;
};

}  // namespace kiln::layers::windows
