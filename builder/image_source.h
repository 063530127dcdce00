// Where FROM and COPY --from=<image> find images: --build-context overrides (oci-layout://,
// docker-image://), the local store, and registries. Only manifests and configs are read to
// resolve an image; layer bytes stay where they are until a step or an output needs them.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_options.h"
#include "builder/image_state.h"
#include "core/error.h"
#include "core/image.h"
#include "core/platform.h"
#include "layers/store.h"
#include "registry/client.h"

namespace kiln::builder {

struct ResolvedBase {
  std::string name;                 // as written in the Dockerfile
  std::string source;               // "registry docker.io/library/x:1", "local store", ...
  core::Descriptor manifest_desc;   // the image manifest chosen (digest = the base's identity)
  core::ImageConfig config;
  std::vector<core::Descriptor> layers;
  LayerOrigin origin;               // where its layers are when not in the store
  std::vector<core::Platform> candidates;  // when `name` was an index: every entry's platform
};

class ImageSource {
 public:
  ImageSource(layers::Store& store, const BuildOptions& options);
  ~ImageSource();

  // Resolves `name` for `platform` (nullopt: the image's own platform; from an index, the host's
  // Linux platform, else the newest Windows entry). Results are memoised per (name, platform).
  core::Result<ResolvedBase> Resolve(std::string_view name,
                                     const std::optional<core::Platform>& platform);

  // Makes a layer's bytes local in the store (fetch from its registry or copy from its OCI
  // layout), verifying the digest. No-op when already local.
  core::Status EnsureLocal(const core::Descriptor& layer, const LayerOrigin& origin);

  registry::Client& client();

  // Every image resolved so far (FROM and COPY --from=<image>), in resolution order.
  std::vector<ResolvedBase> Resolved();

 private:
  core::Result<ResolvedBase> ResolveUncached(std::string_view name,
                                             const std::optional<core::Platform>& platform);
  core::Result<ResolvedBase> FromLayout(std::string_view name, const std::string& spec,
                                        const std::optional<core::Platform>& platform);
  core::Result<ResolvedBase> FromStore(std::string_view name, const core::Descriptor& target,
                                       const std::optional<core::Platform>& platform);
  core::Result<ResolvedBase> FromRegistry(std::string_view name, std::string_view ref,
                                          const std::optional<core::Platform>& platform);
  const ContextOverride* FindOverride(std::string_view name) const;

  layers::Store& store_;
  const BuildOptions& options_;
  std::unique_ptr<registry::Client> client_;
  std::mutex mu_;
  std::vector<std::pair<std::string, ResolvedBase>> memo_;
};

// Picks an index entry: `platform` by core::SelectPlatform; without one, the host's Linux
// platform, else the Windows entry with the highest os.version. kNotFound lists what exists.
core::Result<size_t> PickPlatform(std::string_view name, const std::vector<core::Platform>& entries,
                                  const std::optional<core::Platform>& platform);

}  // namespace kiln::builder
