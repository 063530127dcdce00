// NTFS extended attributes as a FILE_FULL_EA_INFORMATION list (the BACKUP_EA_DATA payload), as
// go-winio encodes them for MSWINDOWS.xattr.<name> records. Platform-neutral.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers::windows {

// Encodes name -> value in name order (flags 0, every entry padded to 4 bytes, last
// NextEntryOffset 0). Fails on a
// name longer than 255 bytes or a value longer than 65535 bytes. An empty map gives "".
core::Result<std::string> EncodeExtendedAttributes(const std::map<std::string, std::string>& eas);
// Decodes a list; fails on truncated or inconsistent buffers. Flags are dropped (tar has no
// place for them).
core::Result<std::map<std::string, std::string>> DecodeExtendedAttributes(std::string_view buffer);

}  // namespace kiln::layers::windows
