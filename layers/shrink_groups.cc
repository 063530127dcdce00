#include "layers/shrink_groups.h"

#include <map>
#include <optional>

namespace kiln::layers {
namespace {

bool HasStreams(const std::vector<LayerCatalog>& layers, const PlanItem& it) {
  const auto& entries = layers[it.layer].entries;
  return it.index + 1 < entries.size() && entries[it.index + 1].kind == CatalogKind::kStream;
}

// Everything a hard link shares with its target besides the bytes.
std::string MetadataKey(const TarEntry& h) {
  std::string key = std::to_string(h.size) + "|" + std::to_string(h.mode) + "|" +
                    std::to_string(h.uid) + "|" + std::to_string(h.gid) + "|" +
                    std::to_string(h.mtime.sec) + "." + std::to_string(h.mtime.nsec) + "|" +
                    std::to_string(h.win_attributes.value_or(0)) + "|" + h.win_security_descriptor;
  for (const auto& [x, v] : h.xattrs) key += "|x" + x + "=" + v;
  for (const auto& [x, v] : h.win_eas) key += "|e" + x + "=" + v;
  return key;
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
  std::map<std::string, size_t> first;
  for (size_t n = 0; n < items.size(); ++n) {
    PlanItem& it = items[n];
    const CatalogEntry& src = layers[it.layer].entries[it.index];
    if (!it.content || src.kind != CatalogKind::kFile || it.header.size == 0 ||
        src.content.empty() || HasStreams(layers, it))
      continue;
    auto [f, inserted] = first.emplace(src.content.hex() + "|" + MetadataKey(it.header), n);
    if (inserted) continue;
    ++out.files;
    out.bytes += it.header.size;
    it.header.type = EntryType::kHardLink;
    it.header.linkname = items[f->second].header.name;
    it.header.size = 0;
    it.header.win_security_descriptor.clear();  // hard links carry no descriptor (hcs)
    it.content = false;
  }
  return out;
}

}  // namespace kiln::layers
