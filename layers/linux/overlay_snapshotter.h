// The Linux Snapshotter: overlayfs over parent layers unpacked once each into a cache under the
// store (<root>/layers/<diff_id hex>), a fresh upper/work dir per step (<root>/active/<key>),
// and the diff read straight from the upper dir. Every active snapshot holds a lock, so
// leftovers of a killed kiln (mounts, dirs) are found and removed by the next one.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/digest.h"
#include "layers/linux/owner_lock.h"
#include "layers/snapshotter.h"

namespace kiln::layers {

class OverlaySnapshotter final : public Snapshotter {
 public:
  // `root`: the snapshotter's directory, e.g. <store>/snapshots (created on first use).
  explicit OverlaySnapshotter(std::string root);

  core::Result<Snapshot> Prepare(const std::string& key, const std::vector<SnapshotLayer>& parents,
                                 LayerOpener& opener) override;
  core::Status Diff(const Snapshot& snapshot, DiffSink& sink) override;
  core::Status Remove(const Snapshot& snapshot) override;

  // Mounts a writable root for `key` over unpacked layer directories (topmost first; none = an
  // empty root). kConflict when `key` is active; kUnsupported past 500 layers.
  core::Result<Snapshot> Mount(const std::string& key, const std::vector<std::string>& lowers);
  // Where the unpacked layer `diff_id` lives (whether or not it is there yet).
  std::string LayerDir(const core::Digest& diff_id) const;
  // Unpacks `layer` into LayerDir unless it is there; concurrent callers wait for each other.
  core::Result<std::string> EnsureUnpacked(const SnapshotLayer& layer, LayerOpener& opener);
  // Unmounts and deletes snapshots and half-unpacked layers whose kiln process is gone (nothing
  // to do when the snapshotter's directory does not exist).
  core::Status SweepStale() override;
  // Deletes unpacked layers that `needed` rejects; when nothing is left, the whole directory.
  core::Result<uint64_t> RemoveUnneeded(
      const std::function<bool(const core::Digest&)>& needed) override;

 private:
  core::Status EnsureLayout();
  core::Status SweepOnce();
  core::Status SweepLeftovers();
  std::string ActiveDir(const std::string& key) const;
  core::Status RemoveActive(const std::string& dir);

  std::string root_, layers_, active_, locks_;
  std::mutex mu_;
  bool swept_ = false;
  std::map<std::string, OwnerLock> held_;  // key -> lock of its active snapshot
};

}  // namespace kiln::layers
