#include "layers/flat_tree.h"

namespace kiln::layers {

void FlatTree::EraseUnder(const std::string& key) {
  auto it = key.empty() ? nodes_.begin() : nodes_.lower_bound(key + "/");
  while (it != nodes_.end() && IsUnder(it->first, key)) it = nodes_.erase(it);
}

void FlatTree::EnsureParents(std::string_view path, size_t layer_index) {
  for (std::string_view dir = ParentPath(path); !dir.empty(); dir = ParentPath(dir)) {
    std::string key = PathKey(dir, flavor_);
    if (nodes_.count(key)) return;
    nodes_[key] = Node{std::string(dir), CatalogKind::kDir, 0, layer_index};
  }
}

void FlatTree::Apply(const LayerCatalog& layer, size_t layer_index) {
  for (const auto& e : layer.entries) {
    std::string path = layer.PathOf(e);
    std::string key = PathKey(path, flavor_);
    switch (e.kind) {
      case CatalogKind::kWhiteout:
        EraseUnder(key);
        nodes_.erase(key);
        break;
      case CatalogKind::kOpaque:
        EraseUnder(key);
        break;
      case CatalogKind::kFile:
      case CatalogKind::kDir:
      case CatalogKind::kSymlink:
      case CatalogKind::kHardLink:
      case CatalogKind::kOther: {
        if (key.empty()) break;  // the root itself
        auto it = nodes_.find(key);
        if (it != nodes_.end() && it->second.kind == CatalogKind::kDir && e.kind != CatalogKind::kDir)
          EraseUnder(key);
        uint64_t size = e.size();
        if (e.kind == CatalogKind::kHardLink)
          if (const Node* target = Find(layer.LinkOf(e))) size = target->size;
        EnsureParents(path, layer_index);
        nodes_[key] = Node{std::move(path), e.kind, size, layer_index};
        break;
      }
      default:  // roots, registry deltas, streams, UtilityVM: not part of C:\ or /
        break;
    }
  }
}

const FlatTree::Node* FlatTree::Find(std::string_view path) const {
  auto it = nodes_.find(PathKey(path, flavor_));
  return it == nodes_.end() ? nullptr : &it->second;
}

bool FlatTree::HasUnder(std::string_view path) const {
  std::string key = PathKey(path, flavor_);
  auto it = key.empty() ? nodes_.begin() : nodes_.lower_bound(key + "/");
  return it != nodes_.end() && IsUnder(it->first, key);
}

void FlatTree::ForEachUnder(std::string_view path, const std::function<void(const Node&)>& fn) const {
  std::string key = PathKey(path, flavor_);
  for (auto it = key.empty() ? nodes_.begin() : nodes_.lower_bound(key + "/");
       it != nodes_.end() && IsUnder(it->first, key); ++it)
    fn(it->second);
}

uint64_t FlatTree::SubtreeBytes(std::string_view path) const {
  uint64_t total = 0;
  if (const Node* n = Find(path)) total += n->size;
  ForEachUnder(path, [&](const Node& n) { total += n.size; });
  return total;
}

}  // namespace kiln::layers
