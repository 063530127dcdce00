// What the lower layers of an overlay show at a path, following overlayfs's rules (topmost layer
// first, whiteouts and opaque directories hide what is below). The diff uses it to leave out
// directories that sit in the upper dir only because overlayfs copied them up unchanged.
#pragma once

#include <sys/stat.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "layers/linux/unique_fd.h"

namespace kiln::layers {

struct LowerDir {
  struct stat st {};
  std::map<std::string, std::string> xattrs;  // without trusted.overlay.*
};

class LowerView {
 public:
  // `lowers`: layer directories, topmost first. kIo/kNotFound when one cannot be opened.
  static core::Result<LowerView> Open(const std::vector<std::string>& lowers);

  // The directory at `path` ("a/b") as the merged lowers show it; nullopt when it is absent,
  // whited out, hidden by an opaque parent or not a directory. Symlinks are never followed.
  std::optional<LowerDir> FindDir(const std::string& path) const;

 private:
  enum class Found { kDir, kHidden, kMissing };
  Found Lookup(int layer_fd, const std::vector<std::string>& parts, LowerDir& out) const;

  std::vector<UniqueFd> layers_;
};

}  // namespace kiln::layers
