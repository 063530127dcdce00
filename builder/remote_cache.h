// The build cache outside the store (--cache-to / --cache-from; docs/cache.md): the same
// chained step keys as the local BuildCache, carried as an OCI 1.1 artifact in a registry
// (type=registry), in an OCI layout directory (type=local) or in the pushed image's config
// (type=inline). A hit never downloads layer bytes: the layer is recorded as known in the
// cache's repository (or layout) and fetched only when a RUN, COPY --from or output needs it;
// pushes mount it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/build_cache.h"
#include "builder/build_options.h"
#include "builder/image_state.h"
#include "core/error.h"
#include "core/image.h"
#include "core/platform.h"
#include "core/progress.h"
#include "core/reference.h"
#include "layers/store.h"
#include "registry/client.h"

namespace kiln::builder {

inline constexpr std::string_view kCacheArtifactType = "application/vnd.kiln.cache.v1";
inline constexpr std::string_view kCacheConfigType = "application/vnd.kiln.cache.config.v1+json";
// The image config field type=inline writes (and an import of an image reads).
inline constexpr std::string_view kInlineCacheField = "io.kiln.cache.v1";

// The times of a finished image (config.created and every history entry's), keyed by the
// final state's key: a build whose final key matches takes them, so a fully cached build on
// another machine writes the same config bytes, hence the same image digest. Only times are
// taken; everything else in the config comes from the build itself.
struct CacheImageRecord {
  core::Digest key;
  core::Platform platform;
  std::string created;
  std::vector<std::string> history_created;
};

struct CacheDocument {
  std::string mode = "min";
  std::vector<CacheStepRecord> steps;
  std::vector<CacheImageRecord> images;

  core::Json ToJson() const;
  static core::Result<CacheDocument> FromJson(const core::Json& j);
};

// The --cache-from sources of one build, read once at its start.
class CacheImports {
 public:
  // Reads every source in order. A source that is missing or unreadable is a warning (the
  // build goes on without it), never an error.
  void Load(const std::vector<CacheSpec>& from, registry::Client& client, layers::Store& store,
            core::ProgressSink& progress, std::vector<std::string>& warnings);

  struct Hit {
    CachedLayer layer;
    LayerOrigin origin;  // a type=local cache: its layout; registry caches: recorded in the store
  };
  // The first source with `key` for exactly `platform` (os, architecture, variant, os.version)
  // whose layer is still there (a HEAD in the registry; one warning when it is gone).
  std::optional<Hit> Lookup(const core::Digest& key, const core::Platform& platform,
                            registry::Client& client, layers::Store& store,
                            core::ProgressSink& progress);
  // Times recorded for a final state key and platform.
  std::optional<CacheImageRecord> Image(const core::Digest& key, const core::Platform& platform) const;

  bool empty() const { return sources_.empty(); }
  // For --metadata-file: [{"type", "ref"/"src", "digest", "steps"}].
  core::Json Summary() const;
  std::vector<std::string> TakeWarnings();
  // A type=local source's layout that holds `digest` ("" when none).
  std::string LayoutHolding(const core::Digest& digest) const;

 private:
  struct Source {
    std::string type;           // "registry" | "local"
    std::string name;           // ref or dir, for messages
    core::Reference repo;       // registry: where the layers are
    std::string layout_dir;     // local
    core::Digest digest;        // the manifest (registry/local) or image config (inline)
    CacheDocument doc;
    std::map<std::string, std::vector<size_t>> by_key;  // key hex -> doc.steps indexes
  };
  core::Status LoadRegistry(const CacheSpec& spec, registry::Client& client, Source& out);
  core::Status LoadLocal(const CacheSpec& spec, Source& out);

  std::vector<Source> sources_;
  std::mutex mu_;
  std::set<std::string> gone_;  // layer digests found missing (warned once)
  std::vector<std::string> warnings_;
};

class BuildSession;
struct BuildResult;

// The cache document of the given steps (mode as given) and finished images.
CacheDocument MakeCacheDocument(const std::vector<CacheStepRecord>& steps,
                                const std::vector<CacheImageRecord>& images, bool max);

// Writes every --cache-to except inline (written into the configs by WriteOutputs): blobs
// first (present / mounted from the pushed image or a cache / uploaded), the cache config, and
// the manifest last in one PUT of the tag (type=local: index.json renamed into place last), so a
// reader sees the previous export or this one, never a mix. Adds to result.cache_exports.
core::Status ExportCaches(BuildSession& session,
                          const std::vector<std::pair<core::Platform, ImageState>>& built,
                          BuildResult& result);

}  // namespace kiln::builder
