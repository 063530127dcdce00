// tombstones.txt of a layer transport folder: the names a layer deletes from its parents
// (hcs-api.md 3.4). First line UTF-8 BOM + "Version 1.0", then one "\relative\path" per line,
// relative to Files. Platform-neutral.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::layers::windows {

// Parses the file into layer names ("Files/dir/name"); accepts \n and \r\n line ends and skips
// empty lines. Fails on a missing or different version line and on lines without the leading
// backslash.
core::Result<std::vector<std::string>> ParseTombstones(std::string_view text);
// Writes layer names ("Files/dir/name") in the same format (\r\n line ends). Fails on a name
// outside Files/.
core::Result<std::string> FormatTombstones(const std::vector<std::string>& names);

}  // namespace kiln::layers::windows
