// The two layer flavours kiln writes and reads: Linux (plain paths, modes, owners, xattrs,
// whiteouts) and Windows (Files/ + Hives/, MSWINDOWS.* PAX records).
#pragma once

#include <string_view>

#include "core/error.h"

namespace kiln::layers {

enum class LayerFlavor { kLinux, kWindows };

inline core::Result<LayerFlavor> ParseLayerFlavor(std::string_view s) {
  if (s == "linux") return LayerFlavor::kLinux;
  if (s == "windows") return LayerFlavor::kWindows;
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "unknown layer format \"" + std::string(s) + "\" (use windows or linux)");
}

inline std::string_view LayerFlavorName(LayerFlavor f) {
  return f == LayerFlavor::kWindows ? "windows" : "linux";
}

}  // namespace kiln::layers
