// What `kiln analyze` and `kiln shrink` work on: an image named in the local store, else a
// reference resolved in its registry (manifest and config stored, layers fetched on demand),
// and the junk/shrink flags the two verbs share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "builder/image_shrink.h"
#include "cli/command.h"
#include "layers/store.h"
#include "registry/client.h"

namespace kiln::cli {

struct ImageTarget {
  std::unique_ptr<layers::Store> store;
  std::unique_ptr<registry::Client> client;
  core::Descriptor top;  // manifest or index
  std::string source;    // "local store" or "registry <ref>"
  builder::EnsureLayerFn ensure;  // fetches layers the store lacks from their registry
};

// Opens the store and finds `name` there (unless `remote`), else in its registry.
core::Result<ImageTarget> OpenImageTarget(Globals& g, const std::string& name, bool remote,
                                          const std::optional<core::Platform>& platform);

// The one manifest of `top` to analyse: itself, the index entry matching `platform`, or the
// only entry. kInvalidInput lists the platforms when the choice is unclear.
core::Result<core::Descriptor> PickManifest(layers::Store& store, const core::Descriptor& top,
                                            const std::optional<core::Platform>& platform);

// Flags `analyze` and `shrink` share: where the image is, which layers are the base, junk rules.
struct JunkFlags {
  bool remote = false;
  std::string platform;
  int base_layers = -1;  // -1: detect
  bool no_junk = false, no_default_junk = false;
  std::vector<std::string> rule_files;

  core::Result<std::optional<core::Platform>> Platform() const;
  std::optional<size_t> BaseLayers() const;
};

// Shrink options from the shared flags (default junk rules of the image's flavour unless
// switched off). Fails when a rules file cannot be read or has a bad line.
core::Result<layers::ShrinkOptions> MakeShrinkOptions(const JunkFlags& flags);

// --remote, --platform, --base-layers, --no-junk, --no-default-junk, --junk-rules.
void AddJunkFlags(CLI::App* cmd, JunkFlags& flags);

}  // namespace kiln::cli
