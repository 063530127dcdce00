#include "layers/shrink_plan.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "layers/flat_tree.h"
#include "layers/shrink_groups.h"
#include "layers/layer_rules.h"
#include "layers/windows_layer.h"

namespace kiln::layers {
namespace {

using Pos = std::pair<size_t, size_t>;  // image layer index, entry index

template <typename It>
const std::string& KeyOf(It it) {
  if constexpr (requires { it->first; }) return it->first;
  else return *it;
}

// Erases the keys strictly under `key` from a map or set keyed by PathKey.
template <typename Map>
void EraseUnder(Map& m, const std::string& key) {
  auto it = key.empty() ? m.begin() : m.lower_bound(key + "/");
  while (it != m.end() && IsUnder(KeyOf(it), key)) it = m.erase(it);
}

// Plans one group of layers squashed into one (or one layer rewritten on its own).
class GroupPlanner {
 public:
  GroupPlanner(const std::vector<LayerCatalog>& layers, const std::vector<size_t>& group,
               const FlatTree& lower, const FlatTree& base, const ShrinkOptions& options,
               ShrinkSavings& savings)
      : layers_(layers), group_(group), lower_(lower), base_(base), options_(options),
        savings_(savings), flavor_(layers[group[0]].flavor) {}

  core::Result<LayerPlan> Run() {
    for (size_t l : group_)
      for (size_t i = 0; i < layers_[l].entries.size(); ++i) Scan({l, i});
    KILN_TRY(CheckLinks());
    EmitFiles();
    EmitDeletions();
    EmitDirs();
    EmitHives();
    std::sort(out_.begin(), out_.end(), [](const Out& a, const Out& b) {
      return std::tie(a.pos, a.seq) < std::tie(b.pos, b.seq);
    });
    LayerPlan plan;
    plan.sources = group_;
    plan.items.reserve(out_.size());
    for (auto& o : out_) plan.items.push_back(std::move(o.item));
    std::vector<Out>().swap(out_);  // freed before the plan is accounted
    if (options_.dedupe) {
      DedupeResult d = DedupeItems(plan.items, layers_);
      savings_.dedupe_files += d.files;
      savings_.dedupe_bytes += d.bytes;
      dedupe_bytes_ = d.bytes;
      deduped_ = d.files;
    }
    Account(plan);
    return plan;
  }

 private:
  struct Live {
    bool dir = false;
    Pos occ, start;  // last occurrence (metadata, bytes); first of this incarnation (position)
  };
  struct Deletion {
    Pos pos;
    bool hit_group = false;  // deleted something an earlier layer of the group had
  };
  struct Link {
    Pos pos;
    std::string target;
    std::optional<Pos> target_occ;  // nullopt: the target lies below the group
  };
  struct Out {
    Pos pos;
    int seq = 0;  // 0: the entry at pos; 1..: entries synthesised right after it
    PlanItem item;
  };

  const CatalogEntry& At(Pos p) const { return layers_[p.first].entries[p.second]; }
  std::string PathAt(Pos p) const { return layers_[p.first].PathOf(At(p)); }
  std::string NameAt(Pos p) const { return layers_[p.first].NameOf(At(p)); }
  std::string Key(std::string_view path) const { return PathKey(path, flavor_); }

  void Scan(Pos pos) {
    const CatalogEntry& e = At(pos);
    std::string path = PathAt(pos);
    std::string k = Key(path);
    if (e.is_content() || e.kind == CatalogKind::kWhiteout || e.kind == CatalogKind::kOpaque)
      for (std::string_view d = ParentPath(k); !d.empty(); d = ParentPath(d)) touched_.insert(std::string(d));
    switch (e.kind) {
      case CatalogKind::kRoot:
        if (path == windows::kFiles && !files_root_) files_root_ = pos;
        if (path == windows::kHives && !hives_root_) hives_root_ = pos;
        return;
      case CatalogKind::kWhiteout: {
        bool hit = live_.count(k) || HasUnder(live_, k);
        ForgetUnder(k);
        live_.erase(k);
        opaque_.erase(k);
        replaced_.erase(k);
        whiteouts_[k] = {pos, hit};
        return;
      }
      case CatalogKind::kOpaque:
        ForgetUnder(k);
        opaque_[k] = {pos, true};
        return;
      case CatalogKind::kFile:
      case CatalogKind::kDir:
      case CatalogKind::kSymlink:
      case CatalogKind::kHardLink:
      case CatalogKind::kOther:
        ScanContent(pos, e, k);
        return;
      default:  // registry deltas (EmitHives), streams (follow their file), UtilityVM
        return;
    }
  }

  void ScanContent(Pos pos, const CatalogEntry& e, const std::string& k) {
    auto it = live_.find(k);
    bool was = it != live_.end(), was_dir = was && it->second.dir;
    if (whiteouts_.erase(k)) replaced_.insert(k);
    if (e.kind == CatalogKind::kDir) {
      if (was_dir) {
        it->second.occ = pos;
        return;
      }
      if (was) replaced_.insert(k);
      live_[k] = {true, pos, pos};
      return;
    }
    if (was_dir) {
      ForgetUnder(k);
      opaque_.erase(k);
    }
    live_[k] = {false, pos, pos};
    if (e.kind == CatalogKind::kHardLink) {
      std::string target = Key(layers_[pos.first].LinkOf(e));
      auto t = live_.find(target);
      links_.push_back({pos, target, t == live_.end() ? std::nullopt : std::optional(t->second.occ)});
    }
  }

  void ForgetUnder(const std::string& k) {
    EraseUnder(live_, k);
    EraseUnder(whiteouts_, k);
    EraseUnder(opaque_, k);
    EraseUnder(replaced_, k);
  }

  // A hard link must still point at the bytes it named when its layer was written.
  core::Status CheckLinks() {
    for (const auto& l : links_) {
      auto self = live_.find(Key(PathAt(l.pos)));
      if (self == live_.end() || self->second.occ != l.pos) continue;  // the link itself is gone
      auto t = live_.find(l.target);
      bool same = l.target_occ ? (t != live_.end() && t->second.occ == *l.target_occ)
                               : (t == live_.end() && !whiteouts_.count(l.target));
      if (!same)
        return core::Fail(core::ErrorCode::kUnsupported,
                          "layer " + std::to_string(l.pos.first) + ": hard link \"" +
                              NameAt(l.pos) + "\" names a file a later layer replaces or "
                              "deletes; shrink with --no-squash");
    }
    return {};
  }

  // The entry at `pos` as read.
  void Add(Pos pos, bool content) {
    out_.push_back({pos, 0, PlanItem{pos.first, pos.second, At(pos).size(), nullptr,
                                     PlanItem::kNoLink, content}});
  }
  // An entry with its own header, written at `pos` (after the entry there when seq > 0).
  void AddHeader(Pos pos, TarEntry header, int seq) {
    uint64_t size = header.size;
    out_.push_back({pos, seq, PlanItem{pos.first, pos.second, size,
                                       std::make_unique<TarEntry>(std::move(header)),
                                       PlanItem::kNoLink, false}});
  }

  void Keep(const std::string& k, bool file) {
    if (!file) kept_.insert(k);
    if (k.empty()) return;
    for (std::string_view d = ParentPath(k);; d = ParentPath(d)) {
      if (!kept_under_.insert(std::string(d)).second || d.empty()) break;  // ancestors are in
    }
  }

  void EmitFiles() {
    if (files_root_) Add(*files_root_, false);
    std::set<std::string> link_targets;
    for (const auto& [k, live] : live_)
      if (At(live.occ).kind == CatalogKind::kHardLink)
        link_targets.insert(Key(layers_[live.occ.first].LinkOf(At(live.occ))));
    for (const auto& [k, live] : live_) {
      if (live.dir) continue;
      const CatalogEntry& src = At(live.occ);
      std::string src_path = PathAt(live.occ);
      if (options_.junk && options_.rules.Matches(src_path, flavor_) && !lower_.Has(src_path) &&
          !link_targets.count(k)) {
        ++savings_.junk_files;
        savings_.junk_bytes += src.size() + StreamBytes(live.occ);
        junk_bytes_ += src.size() + StreamBytes(live.occ);
        if (savings_.junk_examples.size() < 10) savings_.junk_examples.push_back(src_path);
        continue;
      }
      Keep(k, true);
      Add(live.occ, src.kind == CatalogKind::kFile);
      const auto& entries = layers_[live.occ.first].entries;
      for (size_t i = live.occ.second + 1; i < entries.size() && entries[i].kind == CatalogKind::kStream; ++i)
        Add({live.occ.first, i}, true);
    }
  }

  // Directories, deepest first. One that the layers below already have and that is left with
  // nothing under it, although the group put something there, was only the parent of what the
  // other passes dropped: it goes too (the directory keeps the lower layer's metadata).
  void EmitDirs() {
    for (auto it = live_.rbegin(); it != live_.rend(); ++it) {
      const auto& [k, live] = *it;
      if (!live.dir) continue;
      const FlatTree::Node* below = lower_.Find(PathAt(live.occ));
      bool parent_only = below && below->kind == CatalogKind::kDir && touched_.count(k) &&
                         !kept_under_.count(k) && !kept_.count(k);
      if (parent_only && !k.empty()) continue;
      Keep(k, false);
      if (live.occ == live.start) {
        Add(live.start, false);
        continue;
      }
      // The last occurrence's metadata under the first one's name (both are directories).
      TarEntry h = *layers_[live.occ.first].DirHeader(At(live.occ));
      h.name = layers_[live.start.first].DirHeader(At(live.start))->name;
      AddHeader(live.start, std::move(h), 0);
    }
  }

  template <typename Set>
  static bool HasUnder(const Set& m, const std::string& k) {
    auto it = k.empty() ? m.begin() : m.lower_bound(k + "/");
    return it != m.end() && IsUnder(KeyOf(it), k);
  }

  uint64_t StreamBytes(Pos pos) const {
    uint64_t n = 0;
    const auto& entries = layers_[pos.first].entries;
    for (size_t i = pos.second + 1; i < entries.size() && entries[i].kind == CatalogKind::kStream; ++i)
      n += entries[i].size();
    return n;
  }

  void EmitDeletions() {
    for (const auto& [k, d] : whiteouts_) {
      std::string path = PathAt(d.pos);
      if (!lower_.Has(path) && options_.drop_useless_whiteouts) {
        if (!d.hit_group) ++savings_.useless_whiteouts;
        continue;
      }
      Keep(k, false);
      Add(d.pos, false);
      if (base_.Has(path)) {
        ++savings_.base_deletions;
        savings_.base_deleted_bytes += base_.SubtreeBytes(path);
      }
    }
    for (const auto& [k, d] : opaque_) {
      if (!lower_.HasUnder(PathAt(d.pos)) && options_.drop_useless_whiteouts) {
        ++savings_.useless_whiteouts;
        continue;
      }
      Keep(k, false);
      Add(d.pos, false);
    }
    for (const auto& k : replaced_) {
      auto it = live_.find(k);
      if (it == live_.end() || !it->second.dir) continue;
      const FlatTree::Node* below = lower_.Find(PathAt(it->second.occ));
      if (below && below->kind == CatalogKind::kDir) {
        Keep(k, false);
        HideLower(k, it->second);
      }
    }
  }

  // A directory deleted (or replaced) and created again inside the group: what the layers
  // below hold under it must stay hidden. Linux: an opaque marker; Windows has none, so each
  // lower child that the group does not replace gets a whiteout.
  void HideLower(const std::string& k, const Live& dir) {
    const std::string dir_name = layers_[dir.start.first].DirHeader(At(dir.start))->name;
    if (flavor_ == LayerFlavor::kLinux) {
      if (opaque_.count(k) || !lower_.HasUnder(PathAt(dir.occ))) return;
      TarEntry marker;
      marker.name = dir_name.empty() ? std::string(kOpaqueWhiteout) : dir_name + "/" + std::string(kOpaqueWhiteout);
      marker.mode = 0;
      AddHeader(dir.start, std::move(marker), ++synthesised_);
      return;
    }
    std::vector<const FlatTree::Node*> children;
    lower_.ForEachUnder(PathAt(dir.occ), [&](const FlatTree::Node& n) {
      if (Key(ParentPath(n.path)) == k) children.push_back(&n);
    });
    for (const FlatTree::Node* c : children) {
      std::string ck = Key(c->path);
      auto it = live_.find(ck);
      if (it != live_.end()) {
        if (it->second.dir && c->kind == CatalogKind::kDir) {
          Keep(ck, false);
          HideLower(ck, it->second);
        }
        continue;
      }
      TarEntry wh;
      std::string_view base = std::string_view(c->path).substr(c->path.rfind('/') == std::string::npos ? 0 : c->path.rfind('/') + 1);
      wh.name = dir_name + "/" + std::string(windows::kWhiteoutPrefix) + std::string(base);
      wh.mode = 0;
      AddHeader(dir.start, std::move(wh), ++synthesised_);
      if (base_.Has(c->path)) {
        ++savings_.base_deletions;
        savings_.base_deleted_bytes += base_.SubtreeBytes(c->path);
      }
    }
  }

  // Registry deltas: those of the one layer that carries non-empty ones (grouping makes sure
  // there is at most one), else the last layer's (empty) ones.
  void EmitHives() {
    if (!hives_root_) return;
    Add(*hives_root_, false);
    std::optional<size_t> chosen;
    for (size_t l : group_) {
      bool any = false;
      for (const auto& e : layers_[l].entries) any |= e.kind == CatalogKind::kHive;
      if (any && (!chosen || layers_[*chosen].nonempty_hives == 0)) chosen = l;
    }
    if (!chosen) return;
    const auto& entries = layers_[*chosen].entries;
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].kind == CatalogKind::kHive) Add({*chosen, i}, entries[i].is_file());
  }

  void Account(LayerPlan& plan) {
    uint64_t in = 0, out = 0;
    size_t total_entries = 0;
    for (size_t l : group_) {
      total_entries += layers_[l].entries.size();
      for (const auto& e : layers_[l].entries)
        if (e.is_file()) in += e.size();
      if (layers_[l].metadata_only()) ++savings_.empty_layers;
    }
    for (const auto& it : plan.items) out += it.size;
    savings_.squash_bytes += in - out - junk_bytes_ - dedupe_bytes_;
    savings_.squashed_layers += group_.size() - 1;
    plan.empty = !HasVisible(plan);
    plan.keep = group_.size() == 1 && synthesised_ == 0 && deduped_ == 0 &&
                plan.items.size() == total_entries;
  }

  bool HasVisible(const LayerPlan& plan) const {
    for (const auto& it : plan.items) {
      const CatalogEntry& src = At({it.layer, it.index});
      if (src.kind == CatalogKind::kRoot) continue;
      if (src.kind == CatalogKind::kHive && src.size() == 0) continue;
      return true;
    }
    return false;
  }

  const std::vector<LayerCatalog>& layers_;
  const std::vector<size_t>& group_;
  const FlatTree& lower_;
  const FlatTree& base_;
  const ShrinkOptions& options_;
  ShrinkSavings& savings_;
  LayerFlavor flavor_;

  std::map<std::string, Live> live_;
  std::map<std::string, Deletion> whiteouts_, opaque_;
  std::set<std::string> replaced_;
  // Keys written: deletions and kept directories (kept_), and every directory with something
  // written strictly under it (kept_under_) — the non-directories written are not stored one
  // by one (issue 16: per-file state), only their parents are marked.
  std::set<std::string> kept_, kept_under_;
  std::set<std::string> touched_;  // directories the group put something under
  std::vector<Link> links_;
  std::optional<Pos> files_root_, hives_root_;
  std::vector<Out> out_;
  int synthesised_ = 0;
  uint64_t junk_bytes_ = 0, dedupe_bytes_ = 0, deduped_ = 0;
};

}  // namespace

core::Result<ShrinkPlan> PlanShrink(const std::vector<LayerCatalog>& layers, size_t base_layers,
                                    const ShrinkOptions& given) {
  ShrinkPlan plan;
  ShrinkOptions options = given;
  if (options.default_junk && !layers.empty()) {
    options.rules = JunkRules::Defaults(layers[0].flavor);
    options.rules.Append(given.rules);
  }
  plan.base_layers = std::min(base_layers, layers.size());
  if (layers.empty()) return plan;
  LayerFlavor flavor = layers[0].flavor;
  FlatTree lower(flavor);
  for (size_t l = 0; l < plan.base_layers; ++l) lower.Apply(layers[l], l);
  const FlatTree base = lower;

  std::vector<LayerGroup> groups = GroupLayers(layers, plan.base_layers, options.squash, plan.notes);
  for (const LayerGroup& g : groups) {
    const auto& group = g.layers;
    LayerPlan lp;
    if (layers[group[0]].utility_vm) {
      lp.sources = group;
      lp.keep = true;
      plan.notes.push_back("layer " + std::to_string(group[0]) +
                           " carries UtilityVM files; kept as it is");
    } else {
      GroupPlanner planner(layers, group, lower, base, options, plan.savings);
      KILN_ASSIGN(lp, planner.Run());
    }
    lp.split_reason = g.reason;
    for (size_t l : group) lower.Apply(layers[l], l);
    plan.layers.push_back(std::move(lp));
  }
  return plan;
}

}  // namespace kiln::layers
