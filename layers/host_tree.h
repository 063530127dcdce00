// Adds a directory tree of the host to a LayerTree: `kiln layer create` and the builder's
// COPY of directories. Overlay-style whiteouts in the tree (0/0 character devices, files named
// .wh.<name>, the trusted.overlay.opaque xattr or a .wh..wh..opq file) become layer whiteouts.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "layers/layer_tree.h"

namespace kiln::layers {

struct HostTreeOptions {
  // Linux: keep the files' uid/gid (otherwise 0/0, as COPY without --chown).
  bool keep_owner = false;
  // Linux: copy extended attributes (except trusted.overlay.* and security.selinux).
  bool xattrs = true;
  // Applied to every entry added.
  EntryMeta meta;
};

// Walks `host_dir` (not following symlinks) and adds everything under it below `dest_prefix`
// ("" for the layer root on Linux, "Files" for C:\ on Windows, or a subdirectory). Windows
// symlink targets become Windows paths (absolute ones on C:), with the directory bit when the
// target, resolved inside `host_dir`, is a directory. Sockets are skipped. kIo naming the path
// on read errors; kUnsupported for devices in a Windows layer.
core::Status AddHostTree(LayerTree& tree, const std::string& host_dir,
                         std::string_view dest_prefix, const HostTreeOptions& options = {});

}  // namespace kiln::layers
