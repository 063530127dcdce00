// The file lists of the layers a build writes (layers/layer_files.h), for the SBOM: recorded by
// a LayerFileHook while each layer is written, kept for this build and saved beside the store
// (<cache>/layer-files/<diff_id hex>.json) so a later build that reuses the layer from the
// cache need not read it again. A layer with no record is read once from its blob.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "layers/layer_files.h"
#include "layers/store.h"

namespace kiln::builder {

class LayerFilesLog {
 public:
  explicit LayerFilesLog(layers::Store& store) : store_(store) {}
  // Waits for the sidecar writes still under way.
  ~LayerFilesLog();
  LayerFilesLog(const LayerFilesLog&) = delete;
  LayerFilesLog& operator=(const LayerFilesLog&) = delete;

  // A LayerOptions::file_hook factory that records into this log. Thread-safe.
  std::function<std::unique_ptr<layers::LayerFileHook>()> Hook();

  // The record of the layer with `diff_id` whose blob is `blob`: from this build, the sidecar,
  // or (last) by reading the blob from the store.
  // Shared, not copied: a record of 30,000 files is a few MB.
  core::Result<std::shared_ptr<const layers::LayerFiles>> Get(const core::Digest& diff_id,
                                                              const core::Digest& blob);

 private:
  std::shared_ptr<const layers::LayerFiles> Add(layers::LayerFiles&& files);
  std::string SidecarPath(const core::Digest& diff_id) const;

  layers::Store& store_;
  std::mutex mu_;
  std::map<core::Digest, std::shared_ptr<const layers::LayerFiles>> files_;
  // Sidecars are written beside the build, not in its path (a few MB for 30,000 files).
  std::vector<std::thread> writers_;
};

}  // namespace kiln::builder
