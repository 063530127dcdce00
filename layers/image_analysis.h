// ImageAnalysis: `kiln analyze` — per-layer sizes, the largest files and directories a
// container sees, dive's efficiency score and wasted bytes (prior-art.md 3.1, computed exactly
// as dive does on the container paths), and the savings the shrink planner would make.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/image.h"
#include "layers/layer_catalog.h"
#include "layers/shrink_plan.h"

namespace kiln::layers {

// dive's numbers (dive/filetree/efficiency.go Efficiency, dive/image/analysis.go Analyze).
struct DiveNumbers {
  struct PathWaste {
    std::string path;
    uint64_t count = 0;            // layers the path occurs in
    uint64_t cumulative_size = 0;  // dive's CumulativeSize
  };
  double efficiency = 1.0;          // Σ min size / Σ cumulative size over every path
  uint64_t wasted_bytes = 0;        // Σ cumulative size of paths seen in 2+ layers
  uint64_t size_bytes = 0;          // Σ layer sizes (dive: Σ tar header sizes)
  uint64_t user_size_bytes = 0;     // the same without layer 0
  double wasted_user_percent = 0;   // wasted / user size (0 when user size is 0)
  std::vector<PathWaste> inefficiencies;  // paths in 2+ layers, largest cumulative size first
};

struct LayerSummary {
  core::Descriptor blob;
  std::string created_by;
  bool base = false;
  uint64_t tar_size = 0, entry_bytes = 0, entries = 0, files = 0, hive_bytes = 0;
  bool metadata_only = false;
  // Content bytes of this layer that a container does not see: files a later layer overwrites
  // or deletes (what squashing would drop).
  uint64_t wasted_bytes = 0;
};

struct SizedPath {
  std::string path;
  uint64_t bytes = 0;
  size_t layer = 0;  // files: the layer that wrote it
};

struct ImageAnalysis {
  std::string name;
  core::Descriptor manifest;
  LayerFlavor flavor = LayerFlavor::kLinux;
  size_t base_layers = 0;
  std::vector<LayerSummary> layers;
  DiveNumbers dive;
  uint64_t added_tar_bytes = 0, added_compressed_bytes = 0;  // layers above the base
  uint64_t added_wasted_bytes = 0;  // dive's wasted bytes counted in the added layers only
  std::vector<SizedPath> largest_files, largest_dirs;
  std::vector<SizedPath> files;  // every non-directory of the flattened image (HTML treemap;
                                 // only with AnalyzeCatalogs' list_files)
  ShrinkSavings estimate;  // what `kiln shrink` would drop (see ShrinkPlan)
  std::vector<std::string> notes;
};

// dive's efficiency and wasted bytes over `layers` (stacked in order). Windows paths are
// compared case-insensitively and only Files/ counts (registry deltas are not files); a
// whiteout of a path nothing below has counts 0 (dive stops visiting that layer instead).
DiveNumbers DiveAnalysis(const std::vector<LayerCatalog>& layers);

// Everything but the descriptors and history (the caller fills LayerSummary::blob and
// created_by). `estimate_options` are the shrink options whose savings are estimated;
// `list_files` fills ImageAnalysis::files (one record per file: only the HTML page needs it).
core::Result<ImageAnalysis> AnalyzeCatalogs(const std::vector<LayerCatalog>& layers,
                                            size_t base_layers,
                                            const ShrinkOptions& estimate_options,
                                            bool list_files = true);

// Text report (tables) or one JSON document (dive's export field names where they exist).
std::string RenderAnalysis(const ImageAnalysis& analysis, bool json);

// What `kiln shrink` would do, one sentence each; the last is always the recompression hint.
std::vector<std::string> ShrinkOpportunities(const ImageAnalysis& analysis);

// One self-contained HTML page (inline CSS and SVG; no script, font or request from
// elsewhere): a size treemap of the flattened filesystem coloured by the layer that wrote each
// file (the largest directories labelled; small entries aggregated, so the page stays under a
// few MB whatever the image), a per-layer bar chart (compressed, uncompressed, wasted), the
// wasted-space list and the shrink opportunities.
std::string RenderAnalysisHtml(const ImageAnalysis& analysis);

}  // namespace kiln::layers
