// Deleting directory trees kiln made (snapshots, bundles) without ever descending into a mount:
// a snapshot or bundle dir that is somehow still mounted must not take the data below with it.
#pragma once

#include <string>

#include "core/error.h"

namespace kiln::layers {

// Removes `path` and everything below it (a missing path is fine). Entries on another file
// system than `path` itself, or `path` when it is a mount point, make it fail with kIo and leave
// those entries (and their parents) in place.
core::Status RemoveTree(const std::string& path);

}  // namespace kiln::layers
