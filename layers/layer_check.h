// CheckWindowsLayer: a conformance checker for Windows layer tars (windows-layer-format.md
// section 1.7 and checklist 6), in the spirit of go-containerregistry's validate.Layer. The
// builder's and shrink's tests run it over every layer they make.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io.h"
#include "layers/layer_rules.h"

namespace kiln::layers {

struct CheckOptions {
  bool base_layer = false;  // a layer without parents
};

struct LayerReport {
  uint64_t entries = 0;
  std::vector<Violation> violations;  // errors (the importer would fail) and warnings
  // No errors (warnings allowed).
  bool ok() const;
  // Errors only, one ToString() per line.
  std::string ErrorsText() const;
};

// Reads an uncompressed layer tar and returns every rule it breaks, in entry order, with
// entry numbers and names. Fails only when the stream is not a readable tar (truncated, bad
// headers, bad PAX records): then nothing can be said about the entries after that point.
core::Result<LayerReport> CheckWindowsLayer(core::Reader& tar, const CheckOptions& options = {});
// The same for a layer blob file, compressed (gzip, zstd) or not.
core::Result<LayerReport> CheckWindowsLayerFile(const std::string& path,
                                                const CheckOptions& options = {});

}  // namespace kiln::layers
