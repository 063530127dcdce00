// REPARSE_DATA_BUFFER for the two reparse points Windows layers carry: symbolic links and mount
// points (junctions), as go-winio encodes them (windows-layer-format.md 1.5). Platform-neutral.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers::windows {

inline constexpr uint32_t kReparseTagMountPoint = 0xA0000003;
inline constexpr uint32_t kReparseTagSymlink = 0xA000000C;

struct ReparsePoint {
  std::string target;  // the print name, UTF-8, backslashes as stored
  bool is_mount_point = false;
};

// Encodes a symlink or junction. The substitute name is the NT path (\??\ for drive-letter and
// \\?\ targets, \??\UNC\ for \\server targets, unchanged otherwise); relative symlinks get flag
// 1. Fails on invalid UTF-8 or names too long for the 16-bit length fields.
core::Result<std::string> EncodeReparsePoint(const ReparsePoint& point);
// Decodes a buffer produced by BackupRead; fails on other tags ("unsupported reparse point
// 0x...") and on truncated buffers.
core::Result<ReparsePoint> DecodeReparsePoint(std::string_view buffer);

}  // namespace kiln::layers::windows
