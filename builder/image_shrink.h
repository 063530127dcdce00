// Shrinking and analysing stored images (`kiln shrink`, `kiln build --minimize`, `kiln
// analyze`): the store and registry side of layers/shrink_plan.h — load a manifest's layers
// (fetching the ones that are not local), catalog them, plan, write the new layers, and store a
// config and manifest whose history says what happened.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/image.h"
#include "core/progress.h"
#include "layers/compression.h"
#include "layers/image_analysis.h"
#include "layers/layer_catalog.h"
#include "layers/shrink_plan.h"
#include "layers/store.h"

namespace kiln::builder {

// Makes a layer blob local in the store (fetched from its registry or copied from an OCI
// layout). Called only for layers the store does not hold.
using EnsureLayerFn = std::function<core::Status(const core::Descriptor& layer)>;

struct ShrinkRequest {
  layers::ShrinkOptions options;
  std::optional<size_t> base_layers;  // nullopt: DetectBaseLayers
  core::ProgressSink* progress = nullptr;  // layers and bytes read (optional)
  // nullopt: gzip at its default level, and layers with nothing to change keep their blob.
  std::optional<layers::CompressionOptions> compression;
};

struct ShrinkReport {
  core::Descriptor before, after;  // manifests
  layers::LayerFlavor flavor = layers::LayerFlavor::kLinux;
  size_t base_layers = 0, layers_before = 0, layers_after = 0;
  uint64_t added_compressed_before = 0, added_compressed_after = 0;
  uint64_t added_tar_before = 0, added_tar_after = 0;
  layers::ShrinkSavings savings;
  std::vector<std::string> notes;
};

// The catalogs of every layer of `image` (made local through `ensure` when needed).
core::Result<std::vector<layers::LayerCatalog>> LoadCatalogs(layers::Store& store,
                                                             const core::Manifest& manifest,
                                                             layers::LayerFlavor flavor,
                                                             bool hash_content,
                                                             const EnsureLayerFn& ensure,
                                                             core::ProgressSink* progress = nullptr);

// How many leading layers belong to the base image when nobody says: Windows — the leading
// layers without a Hives/ entry (base layers have none) and those carrying UtilityVM/ (MCR
// update layers); Linux — 1, as dive counts. At least 1 when there are layers.
size_t DetectBaseLayers(const std::vector<layers::LayerCatalog>& catalogs);

// Shrinks one image manifest; the result is stored (not named). Base layers are never
// touched. kUnsupported for what cannot be squashed safely, with the reason.
core::Result<ShrinkReport> ShrinkManifest(layers::Store& store, const core::Descriptor& manifest,
                                          const ShrinkRequest& request,
                                          const EnsureLayerFn& ensure);

// ShrinkManifest for a manifest or for every manifest of an index (a new index is stored).
// Returns the new top descriptor and one report per manifest.
core::Result<std::pair<core::Descriptor, std::vector<ShrinkReport>>> ShrinkImage(
    layers::Store& store, const core::Descriptor& top, const ShrinkRequest& request,
    const EnsureLayerFn& ensure);

// "pass                 saved" lines and the before/after sizes.
std::string RenderShrinkReport(const ShrinkReport& report);

// `kiln analyze` of one image manifest in the store. `list_files`: fill ImageAnalysis::files
// (every file of the image, for the HTML treemap; the tables and JSON do not need it).
core::Result<layers::ImageAnalysis> AnalyzeManifest(layers::Store& store,
                                                    const core::Descriptor& manifest,
                                                    std::optional<size_t> base_layers,
                                                    const layers::ShrinkOptions& estimate,
                                                    const EnsureLayerFn& ensure,
                                                    core::ProgressSink* progress = nullptr,
                                                    bool list_files = true);

}  // namespace kiln::builder
