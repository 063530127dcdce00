// Extended attributes of files in overlay layer directories: reading them for diffs (without
// overlayfs's own trusted.overlay.* bookkeeping) and the overlay markers themselves.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers {

inline constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
inline constexpr const char* kOverlayOpaque = "trusted.overlay.opaque";

// The xattrs of the open file `fd` (a regular file or directory), minus trusted.overlay.*.
// `opaque` (optional) is set when trusted.overlay.opaque is "y". kIo names `path` on failure.
core::Result<std::map<std::string, std::string>> ReadXattrs(int fd, const std::string& path,
                                                            bool* opaque = nullptr);

// Whether the directory at `fd` carries trusted.overlay.opaque=y.
bool IsOpaque(int fd);

}  // namespace kiln::layers
