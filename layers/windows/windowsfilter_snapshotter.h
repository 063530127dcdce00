// The Windows Snapshotter (ARCHITECTURE "Seams"): windowsfilter layer folders driven through the
// vmcompute layer API, as moby's windowsfilter driver and hcsshim do (hcs-api.md 3.5 A-I).
//
//   root/layers/<diff_id hex>[-n]/  read-only layers, imported once; kiln-layer.json (diff_id and
//                                   parent folders) is written last and marks a complete import
//   root/scratch/<key>/             the writable layer of one RUN step (sandbox.vhdx)
//   root/tmp/                       transport folders while importing and exporting
//
// Prepare imports missing parents, creates the scratch layer, grows it, activates and prepares
// it and returns its volume path. Diff unprepares it, exports it (ExportLayer) and streams the
// export as Windows layer entries. Remove unprepares, deactivates, renames to "-removing" and
// destroys. Platform-neutral: the Windows calls are behind LayerApi and LayerFs.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "layers/snapshotter.h"
#include "layers/windows/layer_api.h"
#include "layers/windows/layer_fs.h"
#include "layers/windows/layer_importer.h"

namespace kiln::layers::windows {

// Decompresses a layer blob and streams its tar entries into `sink`, verifying the digests.
using LayerUnpacker =
    std::function<core::Status(const SnapshotLayer& layer, core::Reader& blob, DiffSink& sink)>;

struct WindowsfilterOptions {
  std::filesystem::path root;
  // Scratch size; the platform's 20 GB default is too small for builds (moby uses 127 GB).
  uint64_t scratch_size_bytes = uint64_t{127} << 30;
  LayerUnpacker unpack;
  // ActivateLayer+PrepareLayer are retried on ERROR_NOT_READY / ERROR_DEVICE_NOT_CONNECTED.
  int prepare_attempts = 5;
  std::chrono::milliseconds retry_delay{100};
};

class WindowsfilterSnapshotter : public Snapshotter {
 public:
  WindowsfilterSnapshotter(LayerApi& api, LayerFs& fs, WindowsfilterOptions options);

  core::Result<Snapshot> Prepare(const std::string& key, const std::vector<SnapshotLayer>& parents,
                                 LayerOpener& opener) override;
  core::Status Diff(const Snapshot& snapshot, DiffSink& sink) override;
  core::Status Remove(const Snapshot& snapshot) override;

  // The second half of Prepare: a scratch layer on parent layer folders that already exist
  // (nearest first), grown, activated, prepared and mounted. Used by Prepare and by the Windows
  // self-test on folders from another engine.
  core::Result<Snapshot> PrepareScratch(const std::string& key,
                                        const std::vector<std::string>& chain);

  // Destroys "*-removing" folders left by an interrupted removal (moby's Cleanup). Errors are
  // not fatal: the folders are retried next time.
  void Sweep();

 private:
  struct ScratchState {
    bool activated = false;
    bool prepared = false;
    std::vector<std::string> chain;  // parent folders, nearest first
  };

  core::Status EnsureDirectories();
  core::Result<std::string> EnsureLayer(const SnapshotLayer& layer,
                                        const std::vector<std::string>& chain, LayerOpener& opener);
  core::Status ImportInto(const std::filesystem::path& folder, const SnapshotLayer& layer,
                          const std::vector<std::string>& chain, LayerOpener& opener);
  enum class FolderState { kAbsent, kIncomplete, kSameChain, kOtherChain };
  core::Result<FolderState> InspectLayerFolder(const std::filesystem::path& folder,
                                               const std::vector<std::string>& chain);
  core::Status CreateScratch(const std::filesystem::path& scratch,
                             const std::vector<std::string>& chain);
  core::Status ActivateAndPrepare(const std::string& scratch,
                                  const std::vector<LayerDescriptor>& parents);
  core::Status TearDown(const std::string& scratch, ScratchState state);
  // Renames `folder` to "<folder>-removing", destroys it and checks it is gone.
  core::Status RemoveLayerFolder(const std::filesystem::path& folder);
  core::Status DestroyAndVerify(const std::filesystem::path& folder);
  std::filesystem::path ScratchPath(const std::string& key) const;
  std::filesystem::path TempPath(const std::string& name) const;

  LayerApi& api_;
  LayerFs& fs_;
  WindowsfilterOptions options_;
  LayerImporter importer_;
  std::mutex import_mu_;   // one import at a time
  std::mutex prepare_mu_;  // PrepareLayer is not safe concurrently (hcsshim serialises it)
  std::mutex state_mu_;
  std::map<std::string, ScratchState> scratches_;
};

}  // namespace kiln::layers::windows
