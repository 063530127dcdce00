// `kiln inspect`: what an image is made of — manifest, config and a layer table with sizes —
// built from document bytes so the same report and rendering serve local images (InspectLocal)
// and remote ones (the registry glue in builder/ fetches the bytes and calls DescribeManifest).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "layers/store.h"

namespace kiln::layers {

struct LayerRow {
  core::Descriptor blob;
  core::Digest diff_id;     // from the config (empty when the config lists fewer)
  bool local = false;       // bytes present in the store
  std::vector<RemoteSource> sources;
  std::string created_by;   // the matching non-empty history entry, if any
};

struct ManifestReport {
  core::Descriptor descriptor;
  core::Json manifest;  // the document as stored
  core::Json config;
  core::Platform platform;
  std::string created;
  std::vector<LayerRow> layers;
  int64_t total_size = 0;  // config + layers, compressed
};

struct ImageInspection {
  std::string name;  // as asked, normalised
  core::Descriptor descriptor;
  std::optional<core::Json> index;  // when the name points at an index
  std::vector<ManifestReport> manifests;
};

// Builds one manifest's report from its bytes and its config's bytes. `is_local` and
// `sources` (may be empty functions) fill the layer rows' local state. kInvalidInput on
// malformed documents.
core::Result<ManifestReport> DescribeManifest(
    const core::Descriptor& descriptor, std::string_view manifest_bytes,
    std::string_view config_bytes, const std::function<bool(const core::Digest&)>& is_local = {},
    const std::function<std::vector<RemoteSource>(const core::Digest&)>& sources = {});

// The report of a named local image (manifest, or index and each manifest). kNotFound when
// the name or a manifest/config blob is missing.
core::Result<ImageInspection> InspectLocal(Store& store, std::string_view name);

// Human-readable text (summary, layer table, manifest and config JSON) or one JSON document.
std::string RenderInspection(const ImageInspection& inspection, bool json);

// "1.5 MB" style sizes (decimal units, as docker prints them).
std::string HumanSize(int64_t bytes);

}  // namespace kiln::layers
