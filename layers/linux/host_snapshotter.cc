// Linux: overlayfs, with unpacked layers and active snapshots in <store>/snapshots.
#include "layers/host_snapshotter.h"

#include "layers/linux/overlay_snapshotter.h"

namespace kiln::layers {

std::unique_ptr<Snapshotter> MakeHostSnapshotter(const std::string& store_root) {
  return std::make_unique<OverlaySnapshotter>(store_root + "/snapshots");
}

}  // namespace kiln::layers
