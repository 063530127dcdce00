#include "layers/linux/lower_view.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

#include "layers/linux/in_root.h"
#include "layers/linux/xattrs.h"

namespace kiln::layers {
namespace {

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

}  // namespace

core::Result<LowerView> LowerView::Open(const std::vector<std::string>& lowers) {
  LowerView view;
  for (const auto& dir : lowers) {
    KILN_ASSIGN(UniqueFd fd, OpenDir(dir));
    view.layers_.push_back(std::move(fd));
  }
  return view;
}

// Walks `parts` down one layer: kDir with `out` filled, kHidden when this layer hides the path
// from the layers below (whiteout, non-directory, opaque ancestor), kMissing when it has
// nothing there and the layers below decide.
LowerView::Found LowerView::Lookup(int layer_fd, const std::vector<std::string>& parts,
                                   LowerDir& out) const {
  UniqueFd dir(::fcntl(layer_fd, F_DUPFD_CLOEXEC, 0));
  bool opaque_above = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    struct stat st {};
    if (::fstatat(dir.get(), parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return opaque_above ? Found::kHidden : Found::kMissing;
    if (!S_ISDIR(st.st_mode) || IsWhiteout(st)) return Found::kHidden;
    UniqueFd next(
        ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return Found::kHidden;
    dir = std::move(next);
    if (i + 1 == parts.size()) {
      out.st = st;
      auto xattrs = ReadXattrs(dir.get(), parts[i]);
      if (!xattrs) return Found::kHidden;
      out.xattrs = std::move(*xattrs);
      return Found::kDir;
    }
    opaque_above = opaque_above || IsOpaque(dir.get());
  }
  return Found::kHidden;  // empty path: the root is not looked up
}

std::optional<LowerDir> LowerView::FindDir(const std::string& path) const {
  auto parts = SplitPath(path);
  for (const auto& layer : layers_) {
    LowerDir out;
    switch (Lookup(layer.get(), parts, out)) {
      case Found::kDir:
        return out;
      case Found::kHidden:
        return std::nullopt;
      case Found::kMissing:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace kiln::layers
