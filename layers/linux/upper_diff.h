// The diff of a RUN step on overlayfs: the upper dir walked into layer entries in tar order.
// 0/0 character devices become ".wh.<name>" whiteouts, trusted.overlay.opaque=y directories get
// a ".wh..wh..opq" entry, hard links within the upper dir stay hard links, and directories that
// overlayfs only copied up (nothing in them changed) are left out.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "layers/snapshotter.h"

namespace kiln::layers {

// Streams the entries of `upper` to `sink`, parents before children, siblings in byte order of
// their layer names. `lowers` (topmost first) decide which directories are unchanged copy-ups.
// Sockets are skipped (tar cannot hold them). kIo names the path on read errors; sink errors
// pass through; Ctrl-C gives kCancelled.
core::Status DiffUpperDir(const std::string& upper, const std::vector<std::string>& lowers,
                          DiffSink& sink);

}  // namespace kiln::layers
