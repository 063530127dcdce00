// The Snapshotter seam (ARCHITECTURE "Seams"): a writable root on top of parent layers for a RUN
// step, and the diff of what the step changed. Linux: overlayfs (layers/linux/). Windows:
// windowsfilter layer folders through HCS storage APIs (layers/windows/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/image.h"
#include "core/io.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

// A parent layer: its blob (compressed, as in the manifest) and its diff_id (uncompressed).
struct SnapshotLayer {
  core::Descriptor blob;
  core::Digest diff_id;
};

// A prepared writable root.
struct Snapshot {
  std::string key;                         // unique per step
  std::string rootfs;                      // Linux: overlay mount point; Windows: volume path
  std::vector<std::string> layer_folders;  // Windows: parent layer folders, topmost first
  std::string scratch;                     // Linux: upper dir; Windows: scratch layer folder
};

// Opens a parent layer's blob (compressed bytes) when the snapshotter needs to unpack it; the
// builder implements it over the local store or a registry, verifying digests.
class LayerOpener {
 public:
  virtual ~LayerOpener() = default;
  virtual core::Result<std::unique_ptr<core::Reader>> OpenLayer(const SnapshotLayer& layer) = 0;
};

// Receives a diff's entries in tar order (parents before children). `content` is non-null for
// regular files with size > 0 and must be read fully before the next call returns.
// LayerWriter (layers/layer_writer.h) is the DiffSink that turns a diff straight into a layer
// blob, validating the order as entries arrive; a Windows diff that carries its own "Files" and
// "Hives" entries sets LayerOptions::emit_windows_roots = false. Parents are unpacked with
// ApplyLayerBlob (layers/apply_layer.h), WhiteoutMode::kOverlay for overlayfs lower dirs.
class DiffSink {
 public:
  virtual ~DiffSink() = default;
  virtual core::Status Add(const TarEntry& entry, core::Reader* content) = 0;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;
  // Unpacks missing parents (bottom layer first in `parents`) and mounts a writable root.
  virtual core::Result<Snapshot> Prepare(const std::string& key,
                                         const std::vector<SnapshotLayer>& parents,
                                         LayerOpener& opener) = 0;
  // Streams what changed in `snapshot` relative to its parents (whiteouts for deletions).
  virtual core::Status Diff(const Snapshot& snapshot, DiffSink& sink) = 0;
  // Unmounts and deletes the writable root; safe to call after any failure, and twice.
  virtual core::Status Remove(const Snapshot& snapshot) = 0;

  // Unmounts and deletes what snapshotters of killed kiln processes left (active snapshots,
  // half-unpacked layers); work of live processes is left alone. Default: nothing to sweep.
  virtual core::Status SweepStale() { return {}; }
  // Deletes cached unpacked parent layers whose diff_id `needed` rejects, and returns how many.
  // Only for `kiln prune`, which holds the store exclusively (no snapshot can be in use).
  virtual core::Result<uint64_t> RemoveUnneeded(
      const std::function<bool(const core::Digest&)>& needed) {
    (void)needed;
    return 0;
  }
};

}  // namespace kiln::layers
