// Unpacks a layer onto a directory safely: nothing is ever written outside the root (no "..",
// no absolute names, lookups resolved inside the root, no path through a symlink this layer
// created, hard links only to files inside the root), whiteouts and opaque directories applied
// or kept overlayfs-style, and a byte budget against decompression bombs. Used by the overlay
// snapshotter's unpack cache and by shrink/analyze to flatten trees.
//
// Windows flavour: Files/<path> is unpacked to <root>/<path>; Hives/, UtilityVM/, the Files and
// Hives entries themselves and alternate data streams are skipped (the report counts them);
// symlink targets become POSIX ("..\\a" -> "../a", "C:\\a" -> "/a", resolved in the root).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/io.h"
#include "layers/layer_flavor.h"

namespace kiln::layers {

enum class WhiteoutMode {
  kDelete,   // remove what a whiteout names (flattening several layers into one tree)
  kOverlay,  // keep them as overlayfs does: 0/0 character devices, trusted.overlay.opaque=y
};

struct ApplyOptions {
  LayerFlavor flavor = LayerFlavor::kLinux;
  WhiteoutMode whiteouts = WhiteoutMode::kDelete;
  // Restore uid/gid (default: when running as root).
  std::optional<bool> restore_owner;
  // Most bytes of file content to write; 0 = the free space of the target file system.
  uint64_t max_bytes = 0;
};

struct ApplyReport {
  uint64_t entries = 0;   // entries read
  uint64_t bytes = 0;     // file content written
  uint64_t skipped = 0;   // not applicable (Windows Hives/ADS, devices without privilege)
};

// Applies an uncompressed layer tar. Fails with kInvalidInput naming the entry on hostile or
// malformed input (unsafe names, paths through this layer's symlinks, links that
// leave the root, truncation, bad headers); earlier entries stay applied (use a fresh or
// disposable directory for untrusted layers). A name listed twice is replaced by its later
// entry (a directory by a file and vice versa), as docker does.
core::Result<ApplyReport> ApplyLayer(core::Reader& tar, const std::string& root,
                                     const ApplyOptions& options = {});
// The same for a layer blob: gzip, zstd or plain, decompressed with the same byte budget
// (a bomb fails when its output passes the budget plus the tar's header overhead).
core::Result<ApplyReport> ApplyLayerBlob(core::Reader& blob, const std::string& root,
                                         const ApplyOptions& options = {});

}  // namespace kiln::layers
