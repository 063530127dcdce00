// `kiln inspect` for references that live in a registry: one JSON document with the manifest
// (and the index it came from), the config and the platform, fetched without any layer bytes.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "core/platform.h"

namespace kiln::cli {

// Prints the JSON for `ref`. From an index, picks `platform` (or the host's, or the only
// image); when that is ambiguous, prints the index and the platforms it offers instead.
core::Status InspectRemote(const Globals& g, const std::string& ref,
                           const std::optional<core::Platform>& platform, std::ostream& out);

}  // namespace kiln::cli
