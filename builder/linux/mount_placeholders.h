// Mount targets missing from a step's root are created before runc starts (runc would create
// them itself, into the snapshot's upper dir) and removed afterwards, with their parent's mtime
// restored, so a mount point leaves no trace in the step's diff.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layers/linux/unique_fd.h"

namespace kiln::builder {

class MountPlaceholders {
 public:
  // `root_fd`: the step's root directory (borrowed; must outlive this object).
  explicit MountPlaceholders(int root_fd) : root_fd_(root_fd) {}
  ~MountPlaceholders() { (void)Remove(); }
  MountPlaceholders(const MountPlaceholders&) = delete;
  MountPlaceholders& operator=(const MountPlaceholders&) = delete;

  // Makes `target` exist inside the root, as a directory or (when `file`) an empty file,
  // creating missing parents; symlinks resolve inside the root. Existing entries are left alone.
  core::Status Ensure(std::string_view target, bool file);
  // Removes, deepest first, every entry Ensure created that is still an empty directory or
  // empty file, and puts back the mtime of each pre-existing directory it created entries in,
  // unless something else changed that directory since. Safe to call twice.
  core::Status Remove();

 private:
  struct Created {
    layers::UniqueFd parent;
    std::string name;
    std::string path;  // relative to the root
  };
  struct Touched {
    layers::UniqueFd dir;
    dev_t dev;
    ino_t ino;
    timespec before, after;
  };
  core::Status CreateIn(const std::string& parent_path, const std::string& name, bool file);
  Touched* Touch(int dir_fd, const struct stat& st);

  int root_fd_;
  std::vector<Created> created_;
  std::vector<Touched> touched_;
};

}  // namespace kiln::builder
