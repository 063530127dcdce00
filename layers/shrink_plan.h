// ShrinkPlan: what `kiln shrink` writes, decided from the layers' catalogs alone (no content
// is read): which layers above the base are squashed together, and for each resulting layer
// the entries to write, in order, with the source entry that holds their bytes. Pure, so
// `kiln analyze` runs the same planner to estimate savings.
//
// Passes (issue 8): 1 squash the added layers (never the base), dropping what later layers
// overwrite or delete, keeping Windows layers with registry deltas apart when more than one
// carries them; 2 drop metadata-only layers; 3 drop junk (JunkRules) that the base does not
// have; 4 drop whiteouts that delete nothing below, counting deletions of base files;
// 6 optionally turn identical files into hard links (pass 5, recompression, is the writer's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "layers/junk_rules.h"
#include "layers/layer_catalog.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

struct ShrinkOptions {
  bool squash = true;
  bool junk = true;
  bool default_junk = true;  // kiln's default rules for the image's flavour, plus `rules`
  JunkRules rules;           // extra rules (used when `junk`)
  bool drop_useless_whiteouts = true;
  bool dedupe = false;  // needs catalogs read with CatalogOptions::hash_content
};

// One entry of an output layer: entry `index` of image layer `layer` (its header as read and,
// for regular files, its bytes), unless `header` replaces the header (a directory written
// with the metadata of a later occurrence, or an entry the planner made up). Compact (issue
// 16): the source's header is not copied; the writer reads it again.
struct PlanItem {
  static constexpr uint32_t kNoLink = 0xffffffffu;
  size_t layer = 0;
  size_t index = 0;
  uint64_t size = 0;                // the size written (0 for a dedupe hard link)
  std::unique_ptr<TarEntry> header;  // nullptr: the source entry's header as read
  uint32_t link_to = kNoLink;        // dedupe: a hard link to item `link_to` of the same layer
  bool content = false;
};

struct LayerPlan {
  std::vector<size_t> sources;  // image layer indexes this output layer replaces, in order
  std::string split_reason;     // why it did not merge with the layer group before it
  bool keep = false;            // one source and nothing to change: reuse its blob as it is
  bool empty = false;           // nothing a container would see is left: no layer at all
  std::vector<PlanItem> items;  // sorted by (layer, index); read every source once, in order
};

struct ShrinkSavings {
  uint64_t squashed_layers = 0;   // source layers merged away
  uint64_t squash_bytes = 0;      // file bytes overwritten or deleted inside a group
  uint64_t empty_layers = 0;      // metadata-only layers dropped
  uint64_t junk_files = 0, junk_bytes = 0;
  std::vector<std::string> junk_examples;  // first few junk paths
  uint64_t useless_whiteouts = 0;          // whiteouts (or opaque markers) deleting nothing below
  uint64_t base_deletions = 0, base_deleted_bytes = 0;  // cannot be recovered by any shrink
  uint64_t dedupe_files = 0, dedupe_bytes = 0;
};

struct ShrinkPlan {
  size_t base_layers = 0;
  std::vector<LayerPlan> layers;  // in image order, for the layers above the base
  ShrinkSavings savings;
  std::vector<std::string> notes;  // e.g. why layers stayed apart
};

// Plans the shrink of an image whose layers are `layers` (catalogs in image order; the first
// `base_layers` are never changed). Fails with kUnsupported on what it cannot squash safely
// (a hard link whose target a later layer replaces).
core::Result<ShrinkPlan> PlanShrink(const std::vector<LayerCatalog>& layers, size_t base_layers,
                                    const ShrinkOptions& options);

}  // namespace kiln::layers
