// Pieces of the shrink planner (layers/shrink_plan.h) kept in their own files: which added
// layers are squashed together, and the dedupe of identical files in one output layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer_catalog.h"
#include "layers/shrink_plan.h"

namespace kiln::layers {

struct LayerGroup {
  std::vector<size_t> layers;  // image layer indexes, in order
  std::string reason;          // why it did not join the group before it ("" when it could)
};

// The layers above `base_layers` in groups: one per layer without `squash`; else runs of
// layers cut where a second layer with non-empty registry deltas would join, and around
// layers carrying UtilityVM files (each its own group). Appends the cuts' reasons to `notes`.
std::vector<LayerGroup> GroupLayers(const std::vector<LayerCatalog>& layers, size_t base_layers,
                                    bool squash, std::vector<std::string>& notes);

struct DedupeResult {
  uint64_t files = 0, bytes = 0;
};

// Regular files of `items` with the same bytes and metadata (LayerCatalog::hashes) as an
// earlier one, and no alternate data streams, become hard links to the first.
DedupeResult DedupeItems(std::vector<PlanItem>& items, const std::vector<LayerCatalog>& layers);

}  // namespace kiln::layers
