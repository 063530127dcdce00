// The real LayerFs (win32_layer_fs_win.cc, Windows only): CreateFileW with backup semantics and
// FILE_FLAG_OPEN_REPARSE_POINT, FILE_BASIC_INFO, BackupWrite, file ids, hard links; deletions
// through FileDispositionInfo like hcsshim's safefile. Needs SeBackup/SeRestore enabled.
#pragma once

#include "layers/windows/layer_fs.h"

namespace kiln::layers::windows {

class Win32LayerFs : public LayerFs {
 public:
  core::Result<std::unique_ptr<FsFile>> CreateNew(const fs::path& path, Kind kind) override;
  core::Status MakeDirectory(const fs::path& path) override;
  core::Result<std::unique_ptr<FsFile>> Open(const fs::path& path) override;
  core::Result<std::optional<uint32_t>> Attributes(const fs::path& path) override;
  core::Result<std::vector<DirEntry>> List(const fs::path& dir) override;
  core::Status Remove(const fs::path& path) override;
  core::Status RemoveTree(const fs::path& path) override;
  core::Status Rename(const fs::path& from, const fs::path& to) override;
  core::Status HardLink(const fs::path& target, const fs::path& link) override;
};

}  // namespace kiln::layers::windows
