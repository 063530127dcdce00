// Layer fixtures for the shrink and analyze tests: images as lists of LayerTrees, stored in a
// temporary Store, with their catalogs, and flattened onto directories for comparisons.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "layers/apply_layer.h"
#include "layers/layer_catalog.h"
#include "layers/layer_tree.h"
#include "layers/shrink_writer.h"
#include "layers/store.h"
#include "tests/support/test_env.h"

namespace kiln::layers::testutil {

#define REQUIRE_OK(r)                                   \
  do {                                                  \
    auto&& ok_ = (r);                                   \
    INFO((ok_ ? std::string() : ok_.error().message)); \
    REQUIRE(ok_);                                       \
  } while (0)

struct FixtureImage {
  explicit FixtureImage(LayerFlavor flavor) : flavor(flavor) {
    auto s = Store::Open((dir / "store").string());
    REQUIRE(s);
    store = std::move(*s);
  }
  // Writes `tree` as the next layer (the first one as a Windows base layer).
  void Add(const LayerTree& tree) {
    LayerOptions o;
    o.flavor = flavor;
    o.windows_base_layer = flavor == LayerFlavor::kWindows && blobs.empty();
    auto r = CommitLayer(tree, o, *store);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    blobs.push_back(r->blob);
    auto in = store->Open(r->blob.digest);
    REQUIRE(in);
    auto c = ReadCatalogBlob(**in, flavor, CatalogOptions{true});
    REQUIRE(c);
    catalogs.push_back(std::move(*c));
  }
  SourceOpener Opener() {
    return [this](size_t i) { return store->Open(blobs[i].digest); };
  }
  // Applies `layers` in order onto a fresh directory `name` and returns it.
  std::filesystem::path Flatten(const std::vector<core::Descriptor>& layers, const std::string& name) {
    auto root = dir / name;
    std::filesystem::create_directories(root);
    for (const auto& l : layers) {
      auto in = store->Open(l.digest);
      REQUIRE(in);
      ApplyOptions o;
      o.flavor = flavor;
      o.restore_owner = false;
      REQUIRE_OK(ApplyLayerBlob(**in, root.string(), o));
    }
    return root;
  }

  LayerFlavor flavor;
  testing::TempDir dir;
  std::unique_ptr<Store> store;
  std::vector<core::Descriptor> blobs;
  std::vector<LayerCatalog> catalogs;
};

// "path type size content" lines of everything under `root` (what a user sees).
inline std::map<std::string, std::string> Listing(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    auto rel = fs::relative(it->path(), root).string();
    auto st = it->symlink_status();
    if (fs::is_symlink(st)) out[rel] = "link " + fs::read_symlink(it->path()).string();
    else if (fs::is_directory(st)) out[rel] = "dir";
    else out[rel] = "file " + testing::ReadFile(it->path());
  }
  return out;
}

}  // namespace kiln::layers::testutil
