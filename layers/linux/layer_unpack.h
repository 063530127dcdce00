// Unpacks a layer blob into a directory in the form overlayfs takes as a lower layer: whiteouts
// become 0/0 character devices, opaque markers the trusted.overlay.opaque xattr. The overlay
// snapshotter unpacks each parent layer once into its content-addressed cache with it.
#pragma once

#include <string>

#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"

namespace kiln::layers {

// Reads `blob` (gzip, zstd or plain tar), writes its entries below the empty directory `dir`
// (owners, modes incl. setuid, xattrs except trusted.overlay.*, times, hard links, devices) and
// checks that the uncompressed bytes hash to `diff_id`. Entries that would escape `dir` (".."
// components, absolute names, paths through symlinks) fail with kInvalidInput; a wrong diff_id
// with kConflict; Ctrl-C with kCancelled. `dir` is left half-written on failure.
core::Status UnpackLayer(core::Reader& blob, const core::Digest& diff_id, const std::string& dir);

}  // namespace kiln::layers
