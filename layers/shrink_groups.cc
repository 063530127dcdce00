#include "layers/shrink_groups.h"

#include <map>
#include <optional>

namespace kiln::layers {
namespace {

bool HasStreams(const std::vector<LayerCatalog>& layers, const PlanItem& it) {
  const auto& entries = layers[it.layer].entries;
  return it.index + 1 < entries.size() && entries[it.index + 1].kind == CatalogKind::kStream;
}

}  // namespace

std::vector<LayerGroup> GroupLayers(const std::vector<LayerCatalog>& layers, size_t base_layers,
                                    bool squash, std::vector<std::string>& notes) {
  std::vector<LayerGroup> groups;
  LayerGroup current;
  std::optional<size_t> hive_layer;
  std::string next_reason;
  auto flush = [&] {
    if (current.layers.empty()) return;
    current.reason = next_reason;
    groups.push_back(std::move(current));
    current = {};
    next_reason.clear();
    hive_layer.reset();
  };
  for (size_t l = base_layers; l < layers.size(); ++l) {
    const LayerCatalog& c = layers[l];
    if (c.utility_vm || !squash) {
      flush();
      if (c.utility_vm) next_reason = "layer " + std::to_string(l) + " carries UtilityVM files";
      current.layers.push_back(l);
      flush();
      continue;
    }
    if (c.nonempty_hives > 0) {
      if (hive_layer) {
        std::string why = "layers " + std::to_string(*hive_layer) + " and " + std::to_string(l) +
                          " both carry registry deltas (Hives/*_Delta), which cannot be merged "
                          "without Windows; kept apart";
        flush();
        next_reason = why;
        notes.push_back(why);
      }
      hive_layer = l;
    }
    current.layers.push_back(l);
  }
  flush();
  return groups;
}

DedupeResult DedupeItems(std::vector<PlanItem>& items, const std::vector<LayerCatalog>& layers) {
  DedupeResult out;
  // By content and metadata digests (64 raw bytes): the first item with them.
  std::map<std::string, uint32_t> first;
  for (size_t n = 0; n < items.size(); ++n) {
    PlanItem& it = items[n];
    const CatalogEntry& src = layers[it.layer].entries[it.index];
    const EntryHashes* h = layers[it.layer].Hashes(src);
    if (!it.content || it.header || src.kind != CatalogKind::kFile || it.size == 0 || !h ||
        HasStreams(layers, it))
      continue;
    std::string key(reinterpret_cast<const char*>(h->content.data()), h->content.size());
    key.append(reinterpret_cast<const char*>(h->metadata.data()), h->metadata.size());
    auto [f, inserted] = first.emplace(std::move(key), static_cast<uint32_t>(n));
    if (inserted) continue;
    ++out.files;
    out.bytes += it.size;
    it.link_to = f->second;  // the writer makes it a hard link without a descriptor (hcs)
    it.size = 0;
    it.content = false;
  }
  return out;
}

}  // namespace kiln::layers
