// FlatTree: the stacked view of a run of layers — what a container sees — built from their
// catalogs with docker's apply rules (whiteouts and opaque directories delete, a non-directory
// replaces a directory with everything under it). The squash planner asks it what lies below
// the layers it merges; analyze takes the largest files and directories from it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "layers/layer_catalog.h"

namespace kiln::layers {

class FlatTree {
 public:
  struct Node {
    std::string path;  // as last written
    CatalogKind kind = CatalogKind::kDir;
    uint64_t size = 0;  // content bytes (hard links: their target's)
    size_t layer = 0;   // index of the layer that wrote it
  };

  explicit FlatTree(LayerFlavor flavor) : flavor_(flavor) {}

  // Stacks one more layer on top. Parents a layer does not list are added as directories.
  void Apply(const LayerCatalog& layer, size_t layer_index);

  // The node at `path`, or nullptr.
  const Node* Find(std::string_view path) const;
  bool Has(std::string_view path) const { return Find(path) != nullptr; }
  // Whether anything lies under directory `path`.
  bool HasUnder(std::string_view path) const;
  // Calls `fn` for every node under `path` (not `path` itself), in key order.
  void ForEachUnder(std::string_view path, const std::function<void(const Node&)>& fn) const;
  // Bytes of `path` and everything under it.
  uint64_t SubtreeBytes(std::string_view path) const;

  const std::map<std::string, Node>& nodes() const { return nodes_; }
  LayerFlavor flavor() const { return flavor_; }

 private:
  void EraseUnder(const std::string& key);
  void EnsureParents(std::string_view path, size_t layer_index);

  LayerFlavor flavor_;
  std::map<std::string, Node> nodes_;  // by PathKey
};

}  // namespace kiln::layers
