#include "layers/image_analysis.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "layers/flat_tree.h"

namespace kiln::layers {
namespace {

struct PathStats {
  std::string path;
  uint64_t count = 0, cumulative = 0;
  int64_t min = -1;
  bool in_added = false;
};

// The nodes dive visits in one layer: leaves of that layer's own tree (files, symlinks, empty
// directories, whiteouts); implicit parents and directories with children are not leaves, and
// opaque markers are never added to dive's trees.
std::vector<const CatalogEntry*> Leaves(const LayerCatalog& layer) {
  std::set<std::string> keys;
  std::vector<const CatalogEntry*> nodes;
  for (const auto& e : layer.entries) {
    if (!e.is_content() && e.kind != CatalogKind::kWhiteout) continue;
    if (layer.names.size(e.path) == 0) continue;
    keys.insert(PathKey(layer.PathOf(e), layer.flavor));
    nodes.push_back(&e);
  }
  std::vector<const CatalogEntry*> leaves;
  std::set<std::string> seen;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {  // the last of duplicates wins
    std::string key = PathKey(layer.PathOf(**it), layer.flavor);
    if (!seen.insert(key).second) continue;
    auto next = keys.lower_bound(key + "/");
    if (next != keys.end() && IsUnder(*next, key)) continue;
    leaves.push_back(*it);
  }
  return leaves;
}

}  // namespace

DiveNumbers DiveAnalysis(const std::vector<LayerCatalog>& layers) {
  DiveNumbers out;
  if (layers.empty()) return out;
  LayerFlavor flavor = layers[0].flavor;
  std::unordered_map<std::string, PathStats> stats;
  FlatTree stacked(flavor);  // layers 0..current-1, for the size a whiteout removes
  for (size_t l = 0; l < layers.size(); ++l) {
    for (const CatalogEntry* e : Leaves(layers[l])) {
      std::string path = layers[l].PathOf(*e);
      std::string key = PathKey(path, flavor);
      uint64_t size = e->size();
      if (e->kind == CatalogKind::kWhiteout) {
        // dive: a directory's whiteout weighs what the directory held; a file's weighs 0.
        const FlatTree::Node* below = stacked.Find(path);
        size = below && below->kind == CatalogKind::kDir ? stacked.SubtreeBytes(path) : 0;
      } else if (e->kind == CatalogKind::kHardLink) {
        size = 0;  // a hard link's header size
      }
      PathStats& s = stats[key];
      if (s.path.empty()) s.path = path;
      ++s.count;
      s.cumulative += size;
      if (s.min < 0 || static_cast<int64_t>(size) < s.min) s.min = static_cast<int64_t>(size);
    }
    // Only later layers' whiteouts ask what lies below (and the last layer holds most files).
    if (l + 1 < layers.size()) stacked.Apply(layers[l], l);
    uint64_t layer_size = 0;
    for (const auto& e : layers[l].entries) layer_size += e.size();
    out.size_bytes += layer_size;
    if (l > 0) out.user_size_bytes += layer_size;
  }
  uint64_t min_sum = 0, cumulative_sum = 0;
  for (const auto& [key, s] : stats) {
    min_sum += static_cast<uint64_t>(s.min);
    cumulative_sum += s.cumulative;
    if (s.count >= 2) {
      out.wasted_bytes += s.cumulative;
      out.inefficiencies.push_back({s.path, s.count, s.cumulative});
    }
  }
  out.efficiency = cumulative_sum == 0 ? 1.0 : double(min_sum) / double(cumulative_sum);
  out.wasted_user_percent =
      out.user_size_bytes == 0 ? 0.0 : double(out.wasted_bytes) / double(out.user_size_bytes);
  std::sort(out.inefficiencies.begin(), out.inefficiencies.end(), [](const auto& a, const auto& b) {
    return a.cumulative_size != b.cumulative_size ? a.cumulative_size > b.cumulative_size
                                                  : a.path < b.path;
  });
  return out;
}

core::Result<ImageAnalysis> AnalyzeCatalogs(const std::vector<LayerCatalog>& layers,
                                            size_t base_layers,
                                            const ShrinkOptions& estimate_options,
                                            bool list_files) {
  ImageAnalysis a;
  a.flavor = layers.empty() ? LayerFlavor::kLinux : layers[0].flavor;
  a.base_layers = std::min(base_layers, layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerCatalog& c = layers[l];
    LayerSummary s;
    s.base = l < a.base_layers;
    s.tar_size = c.tar_size;
    s.entry_bytes = c.entry_bytes;
    s.entries = c.entries.size();
    s.files = c.files;
    s.hive_bytes = c.hive_bytes;
    s.metadata_only = c.metadata_only();
    if (!s.base) a.added_tar_bytes += c.tar_size;
    a.layers.push_back(s);
  }
  a.dive = DiveAnalysis(layers);
  // dive's wasted bytes, counting only the occurrences in the added layers.
  {
    std::vector<LayerCatalog> none;
    std::set<std::string> wasted;
    for (const auto& w : a.dive.inefficiencies) wasted.insert(PathKey(w.path, a.flavor));
    FlatTree stacked(a.flavor);
    for (size_t l = 0; l < layers.size() && !wasted.empty(); ++l) {
      if (l >= a.base_layers)
        for (const CatalogEntry* e : Leaves(layers[l])) {
          std::string path = layers[l].PathOf(*e);
          if (!wasted.count(PathKey(path, a.flavor))) continue;
          if (e->kind == CatalogKind::kWhiteout) {
            const FlatTree::Node* below = stacked.Find(path);
            a.added_wasted_bytes += below && below->kind == CatalogKind::kDir ? stacked.SubtreeBytes(path) : 0;
          } else if (e->kind != CatalogKind::kHardLink) {
            a.added_wasted_bytes += e->size();
          }
        }
      if (l + 1 < layers.size()) stacked.Apply(layers[l], l);
    }
  }
  // The flattened image, built after dive's numbers and freed before the shrink estimate:
  // the per-path structures of the three phases never live at the same time (issue 16).
  {
    FlatTree flat(a.flavor);
    for (size_t l = 0; l < layers.size(); ++l) flat.Apply(layers[l], l);
    // Largest files and directories of the flattened image (directories: up to 3 levels deep).
    auto by_size = [](const SizedPath& x, const SizedPath& y) {
      return x.bytes != y.bytes ? x.bytes > y.bytes : x.path < y.path;
    };
    // The 10 largest files, kept as a heap while walking (paths are unique, so the order is
    // total and the result is that of sorting every file).
    constexpr size_t kLargest = 10;
    std::map<std::string, SizedPath> dirs;
    for (const auto& [key, n] : flat.nodes()) {
      if (n.kind == CatalogKind::kDir) continue;
      SizedPath f{n.path, n.size, n.layer};
      if (a.largest_files.size() < kLargest || by_size(f, a.largest_files.front())) {
        a.largest_files.push_back(f);
        std::push_heap(a.largest_files.begin(), a.largest_files.end(), by_size);
        if (a.largest_files.size() > kLargest) {
          std::pop_heap(a.largest_files.begin(), a.largest_files.end(), by_size);
          a.largest_files.pop_back();
        }
      }
      if (list_files) a.files.push_back({n.path, n.size, n.layer});
      std::string_view p = n.path;
      for (std::string_view d = ParentPath(p); !d.empty(); d = ParentPath(d)) {
        if (std::count(d.begin(), d.end(), '/') >= 3) continue;
        SizedPath& sp = dirs[PathKey(d, a.flavor)];
        sp.path = std::string(d);
        sp.bytes += n.size;
      }
    }
    // Per layer: content the final filesystem does not show (overwritten or deleted later).
    for (size_t l = 0; l < layers.size(); ++l)
      for (const auto& e : layers[l].entries) {
        if (!e.is_content() || e.kind == CatalogKind::kDir || layers[l].names.size(e.path) == 0) continue;
        const FlatTree::Node* top = flat.Find(layers[l].PathOf(e));
        if (!top || top->layer != l) a.layers[l].wasted_bytes += e.size();
      }
    std::sort(a.largest_files.begin(), a.largest_files.end(), by_size);
    for (auto& [k, d] : dirs) a.largest_dirs.push_back(d);
    std::sort(a.largest_dirs.begin(), a.largest_dirs.end(), by_size);
    if (a.largest_dirs.size() > 10) a.largest_dirs.resize(10);
  }

  auto plan = PlanShrink(layers, a.base_layers, estimate_options);
  if (plan) {
    a.estimate = plan->savings;
    a.notes = plan->notes;
  } else {
    a.notes.push_back("no shrink estimate: " + plan.error().message);
  }
  return a;
}

}  // namespace kiln::layers
