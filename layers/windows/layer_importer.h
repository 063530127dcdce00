// Imports one layer tar into a windowsfilter layer folder (hcs-api.md 3.5 A and B): a base layer
// is written straight into the folder and processed with ProcessBaseImage (and its UtilityVM/
// with ProcessUtilityImage, for Hyper-V isolation); any other layer is
// staged as a transport folder, imported with vmcompute ImportLayer, then its deletions, hard
// links and directory times are applied (hcsshim's legacy writer), never through a reparse
// point of the layer.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "layers/snapshotter.h"
#include "layers/windows/layer_api.h"
#include "layers/windows/layer_fs.h"
#include "layers/windows/transport_writer.h"

namespace kiln::layers::windows {

// Streams a layer's tar entries into a sink (the tar reader, after decompression).
using EntrySource = std::function<core::Status(DiffSink& sink)>;

class LayerImporter {
 public:
  LayerImporter(LayerApi& api, LayerFs& fs) : api_(api), fs_(fs) {}

  // Fills the existing, empty folder `layer` from `entries`. `parents` are the parent layer
  // folders, nearest first; `staging` is a fresh folder for the transport form (removed
  // afterwards). On failure the folder holds a partial layer: the caller destroys it.
  core::Status Import(const std::filesystem::path& layer, const std::vector<std::string>& parents,
                      const std::filesystem::path& staging, const EntrySource& entries);

  // WC_LAYER_DESCRIPTORs for layer folders (Id = NameToGuid(folder name)).
  core::Result<std::vector<LayerDescriptor>> Descriptors(const std::vector<std::string>& folders);

 private:
  core::Status ImportBase(const std::filesystem::path& layer, const EntrySource& entries);
  core::Status ImportOnParents(const std::filesystem::path& layer,
                               const std::vector<std::string>& parents,
                               const std::filesystem::path& staging, const EntrySource& entries);
  core::Status ApplyAfterImport(const std::filesystem::path& layer,
                                const std::vector<std::string>& parents,
                                const TransportWriter& writer);
  // Fails when a directory between `root` and `root/name` is a reparse point.
  core::Status CheckNoLinkOnTheWay(const std::filesystem::path& root, const std::string& name);

  LayerApi& api_;
  LayerFs& fs_;
};

}  // namespace kiln::layers::windows
