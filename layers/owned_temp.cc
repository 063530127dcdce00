// The host-neutral part of layers/owned_temp.h (owned_temp_posix.cc, windows/owned_temp_win.cc).
#include "layers/owned_temp.h"

namespace kiln::layers {

bool IsTempSibling(std::string_view name, std::string_view prefix) {
  return name.size() == prefix.size() + 6 && name.starts_with(prefix);
}

}  // namespace kiln::layers
