// What every stage of one `kiln build` shares: options, the local store, the build cache, the
// context, base-image resolution, build args, the RUN executor/snapshotter, progress, and
// scratch directories (flattened stages for COPY --from), removed when the build ends.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "builder/build_cache.h"
#include "builder/build_context.h"
#include "builder/build_options.h"
#include "builder/executor.h"
#include "builder/image_source.h"
#include "builder/image_state.h"
#include "builder/layer_files_log.h"
#include "builder/remote_cache.h"
#include "builder/stage_vars.h"
#include "core/progress.h"
#include "layers/owned_temp.h"
#include "layers/snapshotter.h"
#include "layers/store.h"
#include "parser/dockerfile.h"

namespace kiln::builder {

class BuildSession {
 public:
  BuildSession(const BuildOptions& options, layers::Store& store, const parser::Dockerfile& dockerfile,
               BuildContext& context, ImageSource& images, BuildArgs& args);
  ~BuildSession();

  const BuildOptions& options() const { return options_; }
  layers::Store& store() { return store_; }
  const parser::Dockerfile& dockerfile() const { return dockerfile_; }
  BuildContext& context() { return context_; }
  ImageSource& images() { return images_; }
  BuildArgs& args() { return args_; }
  const BuildCache& cache() const { return cache_; }
  // --cache-from sources (loaded by Build before the first step).
  CacheImports& imports() { return imports_; }

  // The local build cache, then the --cache-from sources (unless --no-cache).
  struct CacheHit {
    CachedLayer layer;
    LayerOrigin origin;
  };
  std::optional<CacheHit> LookupCache(const core::Digest& key, const core::Platform& platform);
  // False only when no lookup of a key with this prefix can hit (BuildCache::MayHit, and no
  // --cache-from source, which may hold any key).
  bool MayHitCache(const core::Digest& prefix) const;
  // Every layer step of the build, hit or built, for --cache-to mode=max.
  void NoteStep(const CacheStepRecord& step);
  std::vector<CacheStepRecord> AllSteps();
  // Finished images (their times) and pushed references, for the cache exporters.
  void NoteImage(const CacheImageRecord& image);
  std::vector<CacheImageRecord> Images();
  void NotePushed(const core::Reference& ref);
  std::vector<core::Reference> Pushed();
  core::ProgressSink& progress() { return *progress_; }
  // File lists of the layers this build writes, for --sbom (builder/sbom.h).
  LayerFilesLog& layer_files() { return layer_files_; }

  // RUN support; null when this host has none for the target (checked before any work).
  Executor* executor() { return executor_.get(); }
  layers::Snapshotter* snapshotter() { return snapshotter_.get(); }
  void SetRunSupport(std::unique_ptr<Executor> executor,
                     std::unique_ptr<layers::Snapshotter> snapshotter);

  // The time written into configs and history: SOURCE_DATE_EPOCH, else the build's start.
  int64_t created_time() const { return created_time_; }

  // The filesystem of a built stage or an image, unpacked once into a scratch directory (for
  // COPY --from); Windows images unpack Files/ as the root. Keyed by the state's cache key.
  core::Result<std::string> Flatten(const ImageState& state);

  // A fresh scratch directory under the store's tmp/, removed with the session.
  core::Result<std::string> ScratchDir(std::string_view purpose);

  // Unique ids for progress events.
  std::string NextTaskId();

 private:
  const BuildOptions& options_;
  layers::Store& store_;
  const parser::Dockerfile& dockerfile_;
  BuildContext& context_;
  ImageSource& images_;
  BuildArgs& args_;
  BuildCache cache_;
  CacheImports imports_;
  std::vector<CacheStepRecord> all_steps_;
  std::vector<CacheImageRecord> images_done_;
  std::vector<core::Reference> pushed_;
  core::ProgressSink* progress_;
  LayerFilesLog layer_files_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<layers::Snapshotter> snapshotter_;
  int64_t created_time_ = 0;
  std::mutex mu_;
  std::map<std::string, std::string> flattened_;  // state key -> dir
  std::vector<layers::OwnedTempDir> scratch_;  // locked: a killed build's are swept
  std::atomic<int> task_counter_{0};
};

}  // namespace kiln::builder
