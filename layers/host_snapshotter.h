// The factory that picks the Snapshotter of the host kiln runs on: overlayfs on Linux
// (layers/linux/host_snapshotter.cc), windowsfilter through HCS on Windows
// (layers/windows/*_win.cc).
#pragma once

#include <memory>
#include <string>

#include "layers/snapshotter.h"

namespace kiln::layers {

// The host's snapshotter, keeping unpacked layers and active snapshots under `store_root`.
std::unique_ptr<Snapshotter> MakeHostSnapshotter(const std::string& store_root);

}  // namespace kiln::layers
