#include "builder/sbom.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>
#include <tuple>

#include "layers/layer_catalog.h"
#include "layers/layer_rules.h"
#include "layers/windows_layer.h"

namespace kiln::builder {
namespace {

using core::Json;

struct Node {
  std::string_view path;    // views into the layer records
  std::string_view sha256;
  size_t layer = 0;
};

class Flat {
 public:
  explicit Flat(bool windows)
      : flavor_(windows ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux) {}

  std::string Key(std::string_view path) const { return layers::PathKey(path, flavor_); }

  // Removes `key` and everything under it that lower layers (not layer `layer`) wrote.
  void Erase(const std::string& key, size_t layer, bool self) {
    if (self) {
      auto it = nodes_.find(key);
      if (it != nodes_.end() && it->second.layer != layer) nodes_.erase(it);
    }
    std::string prefix = key.empty() ? "" : key + "/";
    for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);) {
      if (it->second.layer != layer) it = nodes_.erase(it);
      else ++it;
    }
  }
  void EraseAll(const std::string& key) {
    nodes_.erase(key);
    std::string prefix = key + "/";
    for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);)
      it = nodes_.erase(it);
  }
  void Set(const std::string& key, Node node) { nodes_[key] = std::move(node); }
  const Node* Find(const std::string& key) const {
    auto it = nodes_.find(key);
    return it == nodes_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Node>& nodes() const { return nodes_; }

 private:
  layers::LayerFlavor flavor_;
  std::map<std::string, Node> nodes_;
};

// The container path of a layer entry name (a view into it), or nullopt for what a container
// does not see.
std::optional<std::string_view> ContainerPath(std::string_view name, bool windows) {
  if (!windows) return name;
  constexpr std::string_view kFiles = "Files/";
  if (name.size() <= kFiles.size() || !name.starts_with(kFiles)) return std::nullopt;
  return name.substr(kFiles.size());
}

std::string_view Base(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}
std::string Parent(std::string_view p) {
  auto s = p.rfind('/');
  return s == std::string_view::npos ? std::string() : std::string(p.substr(0, s));
}

std::string ImageRepository(std::string name) {
  if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) name.resize(colon);
  return name;
}

Json Purl(const std::string& locator) {
  return Json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                       {"referenceType", "purl"},
                       {"referenceLocator", locator}}});
}

// One added layer (every COPY-only build) needs no map: nothing below it among the added layers
// can be deleted, so its view is its own regular files. nullopt when its names need the general
// rules instead: a hard link, two names with one key, or a name under a non-directory (which
// the layer rules refuse anyway).
// A layer a LayerTree wrote needs no checks of its names (layers::LayerFiles::from_tree): its
// regular files, in path order.
std::optional<std::vector<SbomFile>> FlattenTreeLayer(const layers::LayerFiles& layer, bool windows) {
  std::vector<SbomFile> out;
  out.reserve(layer.entries.size());
  for (const auto& e : layer.entries) {
    if (e.type == layers::EntryType::kHardLink) return std::nullopt;
    if (e.type != layers::EntryType::kFile || e.sha256.empty()) continue;
    auto path = ContainerPath(e.name, windows);
    if (!path) continue;
    std::string_view base = Base(*path);
    if (base == layers::kOpaqueWhiteout || base.starts_with(layers::windows::kWhiteoutPrefix)) continue;
    out.push_back({*path, e.sha256});
  }
  // A tree writes '/' before every other byte: byte order may differ ("a/b" before "a-b").
  auto by_path = [](const SbomFile& a, const SbomFile& b) { return a.path < b.path; };
  if (!std::is_sorted(out.begin(), out.end(), by_path)) std::sort(out.begin(), out.end(), by_path);
  return out;
}

std::optional<std::vector<SbomFile>> FlattenOne(const layers::LayerFiles& layer, bool windows) {
  if (layer.from_tree) return FlattenTreeLayer(layer, windows);
  struct Item {
    std::string_view key;  // the path itself (Linux) or its case fold, in `folded` (Windows)
    std::string_view path;
    const layers::LayerFile* entry;
  };
  std::vector<Item> items;
  items.reserve(layer.entries.size());
  std::vector<std::string> folded;  // reserved once: the views into it stay valid
  if (windows) folded.reserve(layer.entries.size());
  for (const auto& e : layer.entries) {
    if (e.type == layers::EntryType::kHardLink) return std::nullopt;
    auto path = ContainerPath(e.name, windows);
    if (!path) continue;
    std::string_view base = Base(*path);
    if (base == layers::kOpaqueWhiteout || base.starts_with(layers::windows::kWhiteoutPrefix)) continue;
    std::string_view key = *path;
    if (windows) key = folded.emplace_back(layers::PathKey(*path, layers::LayerFlavor::kWindows));
    items.push_back({key, *path, &e});
  }
  // kiln's own layers list their names in byte order (a Linux layer's keys are its names): no
  // sort then.
  auto by_key = [](const Item& a, const Item& b) { return a.key < b.key; };
  if (!std::is_sorted(items.begin(), items.end(), by_key)) std::sort(items.begin(), items.end(), by_key);
  std::vector<SbomFile> out;
  out.reserve(items.size());
  std::string under;  // "<key>/": what would lie under a non-directory
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (i + 1 < items.size() && item.key == items[i + 1].key) return std::nullopt;
    if (item.entry->type != layers::EntryType::kDirectory) {
      // Keys under `key` sort together, from the first key that is not less than "<key>/".
      under.assign(item.key);
      under += '/';
      auto next = std::lower_bound(items.begin() + static_cast<std::ptrdiff_t>(i) + 1, items.end(), under,
                                   [](const Item& a, const std::string& k) { return a.key < k; });
      if (next != items.end() && next->key.starts_with(under)) return std::nullopt;
    }
    if (item.entry->type == layers::EntryType::kFile && !item.entry->sha256.empty())
      out.push_back({item.path, item.entry->sha256});
  }
  // Linux keys are the paths: already in path order.
  if (windows)
    std::sort(out.begin(), out.end(), [](const SbomFile& a, const SbomFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace

std::vector<SbomFile> FlattenAdded(const std::vector<const layers::LayerFiles*>& added, bool windows) {
  if (added.size() == 1)
    if (auto one = FlattenOne(*added[0], windows)) return std::move(*one);
  Flat flat(windows);
  for (size_t li = 0; li < added.size(); ++li) {
    for (const auto& e : added[li]->entries) {
      auto path = ContainerPath(e.name, windows);
      if (!path) continue;
      std::string_view base = Base(*path);
      if (base == layers::kOpaqueWhiteout) {
        flat.Erase(flat.Key(Parent(*path)), li, false);
        continue;
      }
      if (base.starts_with(layers::windows::kWhiteoutPrefix)) {
        std::string parent = Parent(*path);
        std::string target = (parent.empty() ? "" : parent + "/") +
                             std::string(base.substr(layers::windows::kWhiteoutPrefix.size()));
        flat.Erase(flat.Key(target), li, true);
        continue;
      }
      std::string key = flat.Key(*path);
      if (e.type == layers::EntryType::kDirectory) {
        if (const Node* n = flat.Find(key); n) flat.EraseAll(key);  // a directory replaces a file
        continue;
      }
      // A non-directory replaces whatever was at its path, with everything under it.
      std::string_view sha = e.sha256;
      if (e.type == layers::EntryType::kHardLink) {
        auto target = ContainerPath(e.link, windows);
        const Node* t = target ? flat.Find(flat.Key(*target)) : nullptr;
        sha = t ? t->sha256 : std::string_view();
      }
      flat.EraseAll(key);
      if ((e.type == layers::EntryType::kFile || e.type == layers::EntryType::kHardLink) && !sha.empty())
        flat.Set(key, Node{*path, sha, li});
    }
  }
  std::vector<SbomFile> out;
  for (const auto& [key, n] : flat.nodes()) out.push_back({n.path, n.sha256});
  std::sort(out.begin(), out.end(), [](const SbomFile& a, const SbomFile& b) { return a.path < b.path; });
  return out;
}

std::string Sbom(const SbomInputs& in) {
  std::vector<const layers::LayerFiles*> added;
  for (const auto& layer : in.added) added.push_back(layer.get());
  std::vector<SbomFile> files = FlattenAdded(added, in.windows);
  // Packages whose manifest file is still there in the flattened view (sorted by path), from
  // its last writer.
  auto present = [&](std::string_view path) {
    auto it = std::lower_bound(files.begin(), files.end(), path,
                               [](const SbomFile& f, std::string_view p) { return f.path < p; });
    return it != files.end() && it->path == path;
  };
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  std::vector<layers::FoundPackage> packages;
  for (const auto& layer : added)
    for (const auto& p : layer->packages) {
      auto path = ContainerPath(p.source, in.windows);
      if (!path || !present(*path)) continue;
      if (seen.insert({p.ecosystem, p.name, p.version}).second) packages.push_back(p);
    }
  std::sort(packages.begin(), packages.end());

  Json doc = Json::object();
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = in.image_name;
  doc["documentNamespace"] = "https://spdx.org/spdxdocs/kiln-" + in.manifest.digest.hex();
  doc["creationInfo"] = {{"created", in.created}, {"creators", Json::array({"Tool: kiln-" + in.tool_version})}};
  doc["documentDescribes"] = Json::array({"SPDXRef-Image"});

  Json pkgs = Json::array();
  pkgs.push_back({{"SPDXID", "SPDXRef-Image"},
                  {"name", in.image_name},
                  {"downloadLocation", "NOASSERTION"},
                  {"filesAnalyzed", false},
                  {"primaryPackagePurpose", "CONTAINER"},
                  {"checksums", Json::array({{{"algorithm", "SHA256"}, {"checksumValue", in.manifest.digest.hex()}}})},
                  {"comment", "the files below are those this build added above its base image"}});
  Json rels = Json::array();
  rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"},
                  {"relatedSpdxElement", "SPDXRef-Image"}});
  if (!in.base_name.empty() && !in.base_manifest.digest.empty()) {
    std::string repo = ImageRepository(in.base_name);
    pkgs.push_back({{"SPDXID", "SPDXRef-Base"},
                    {"name", repo},
                    {"versionInfo", in.base_manifest.digest.ToString()},
                    {"downloadLocation", "NOASSERTION"},
                    {"filesAnalyzed", false},
                    {"primaryPackagePurpose", "CONTAINER"},
                    {"checksums", Json::array({{{"algorithm", "SHA256"}, {"checksumValue", in.base_manifest.digest.hex()}}})},
                    {"externalRefs", Purl("pkg:docker/" + repo + "@sha256%3A" + in.base_manifest.digest.hex())},
                    {"comment", "base image as named in the Dockerfile: " + in.base_name}});
    rels.push_back({{"spdxElementId", "SPDXRef-Image"}, {"relationshipType", "DESCENDANT_OF"},
                    {"relatedSpdxElement", "SPDXRef-Base"}});
  }
  for (size_t i = 0; i < packages.size(); ++i) {
    const auto& p = packages[i];
    std::string id = "SPDXRef-Package-" + p.ecosystem + "-" + std::to_string(i + 1);
    auto source = ContainerPath(p.source, in.windows);
    pkgs.push_back({{"SPDXID", id},
                    {"name", p.name},
                    {"versionInfo", p.version},
                    {"downloadLocation", "NOASSERTION"},
                    {"filesAnalyzed", false},
                    {"primaryPackagePurpose", "LIBRARY"},
                    {"sourceInfo", "listed in ./" + std::string(source.value_or(p.source))},
                    {"externalRefs", Purl(p.Purl())}});
    rels.push_back({{"spdxElementId", "SPDXRef-Image"}, {"relationshipType", "CONTAINS"},
                    {"relatedSpdxElement", id}});
  }
  doc["packages"] = std::move(pkgs);
  // The files are most of the document (30,000 files: ~5 MB): written as text straight away,
  // not held as a JSON tree. The same bytes as dump() of the whole document would give.
  std::string out = doc.dump();
  out.pop_back();  // the closing brace: "files" and "relationships" follow
  out.reserve(out.size() + files.size() * 192);
  out += ",\"files\":[";
  std::string name = "./";  // reused: no allocation per file
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) out += ',';
    out += "{\"SPDXID\":\"SPDXRef-File-";
    out += std::to_string(i + 1);
    out += "\",\"fileName\":";
    name.resize(2);
    name += files[i].path;
    core::AppendJsonString(out, name);
    out += ",\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":";
    core::AppendJsonString(out, files[i].sha256);
    out += "}]}";
  }
  out += "],\"relationships\":";
  out += rels.dump();
  out += '}';
  return out;
}

}  // namespace kiln::builder
