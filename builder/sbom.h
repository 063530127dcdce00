// The SBOM of one built image: an SPDX 2.3 JSON document (https://spdx.dev/Document) of what
// the build added above its base — every regular file of the flattened added layers with the
// sha256 recorded while the layer was written, the base image as a package referenced by
// digest, and the packages recognised in the added files (layers/package_files.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/layer_files_log.h"
#include "core/image.h"

namespace kiln::builder {

inline constexpr std::string_view kSpdxDocument = "https://spdx.dev/Document";

struct SbomInputs {
  std::string image_name;          // the first -t name, else "kiln-build"
  core::Descriptor manifest;       // the image's manifest
  bool windows = false;
  // The added layers' records, bottom first (shared with the build's LayerFilesLog).
  std::vector<std::shared_ptr<const layers::LayerFiles>> added;
  std::string base_name;           // "" for scratch
  core::Descriptor base_manifest;
  std::string created;             // RFC 3339
  std::string tool_version;
};

// One file of the flattened added layers: views into the layers' records (30,000 files are
// not copied), valid while those records live.
struct SbomFile {
  std::string_view path;    // container path, '/'-separated, without "C:" ("app/x")
  std::string_view sha256;  // hex
};

// The regular files (and hard links, with their target's content) the added layers leave in
// the container's view, sorted by path: whiteouts and opaque directories of a later layer
// delete, Windows names compare case-insensitively, Windows Hives/ and UtilityVM/ are not
// files a container sees.
std::vector<SbomFile> FlattenAdded(const std::vector<const layers::LayerFiles*>& added, bool windows);

// The SPDX 2.3 document, as JSON text.
std::string Sbom(const SbomInputs& in);

}  // namespace kiln::builder
