// Temporary files and directories that say whether their writer is alive: the writer holds an
// flock(2) on the entry itself for as long as it works on it, and the kernel drops that lock when
// the writer dies (kill -9 included). A later kiln process that can take the lock knows the
// entry is an orphan and removes it; one it cannot lock belongs to a live writer and stays.
// Windows (windows/owned_temp_win.cc): files carry a LockFileEx byte-range lock; a directory's
// writer holds it open without FILE_SHARE_DELETE, so a sweeper's open for deletion fails while
// the writer lives (the system closes the handle when the writer dies).
// Used for the store's tmp/, the temp siblings of `-o FILE` / `save -o FILE.tar`, directory
// exports and atomic replaces (index.json).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers {

// Creates a file from an mkstemp template ("...XXXXXX", rewritten to the name made) and locks
// it. The returned descriptor holds the lock: keep it open until the file is renamed or removed.
core::Result<int> CreateOwnedTempFile(std::string& path_template);

// A directory made from an mkdtemp template and locked while the object lives.
class OwnedTempDir {
 public:
  static core::Result<OwnedTempDir> Create(std::string path_template);
  OwnedTempDir(OwnedTempDir&& other) noexcept;
  OwnedTempDir& operator=(OwnedTempDir&& other) noexcept;
  ~OwnedTempDir();  // releases the lock; the caller removes the directory
  const std::string& path() const { return path_; }

 private:
  OwnedTempDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Removes the entries of `dir` for which `is_temp(name)` holds and whose writer is gone (their
// lock can be taken); regular files and directories only (a directory with what is below it,
// never following symlinks). Returns how many it removed; a missing `dir` is empty.
size_t RemoveOrphanTemps(const std::string& dir,
                         const std::function<bool(std::string_view name)>& is_temp);

// Whether `name` is `prefix` followed by six mkstemp characters (the temp siblings of a file).
bool IsTempSibling(std::string_view name, std::string_view prefix);

}  // namespace kiln::layers
