#include "builder/build_session.h"

#include <chrono>
#include <filesystem>

#include "core/cancel.h"
#include "core/sys_fs.h"
#include "layers/compression.h"
#include "layers/fs_util.h"
#include "layers/apply_layer.h"

namespace kiln::builder {

BuildSession::BuildSession(const BuildOptions& options, layers::Store& store,
                           const parser::Dockerfile& dockerfile, BuildContext& context,
                           ImageSource& images, BuildArgs& args)
    : options_(options),
      store_(store),
      dockerfile_(dockerfile),
      context_(context),
      images_(images),
      args_(args),
      cache_(store.cache_dir(), !options.no_cache),
      progress_(options.progress ? options.progress : &core::NullProgress()),
      layer_files_(store) {
  created_time_ = options.source_date_epoch
                      ? *options.source_date_epoch
                      : std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
}

BuildSession::~BuildSession() {
  // Released before removal: on Windows the handle that marks a directory as owned denies
  // deletion to everyone, this process included (layers/windows/owned_temp_win.cc).
  std::vector<std::string> paths;
  for (const auto& dir : scratch_) paths.push_back(dir.path());
  scratch_.clear();
  for (const auto& path : paths) {
    std::error_code ec;
    std::filesystem::remove_all(sys::U8Path(path), ec);
  }
}

void BuildSession::SetRunSupport(std::unique_ptr<Executor> executor,
                                 std::unique_ptr<layers::Snapshotter> snapshotter) {
  executor_ = std::move(executor);
  snapshotter_ = std::move(snapshotter);
}

std::optional<BuildSession::CacheHit> BuildSession::LookupCache(const core::Digest& key,
                                                               const core::Platform& platform) {
  if (auto hit = cache_.Lookup(key, store_)) return CacheHit{*hit, LayerOrigin{}};
  if (options_.no_cache || imports_.empty()) return std::nullopt;
  auto hit = imports_.Lookup(key, platform, images_.client(), store_, *progress_);
  if (!hit) return std::nullopt;
  return CacheHit{hit->layer, hit->origin};
}

bool BuildSession::MayHitCache(const core::Digest& prefix) const {
  if (options_.no_cache) return false;
  return !imports_.empty() || cache_.MayHit(prefix);
}

void BuildSession::NoteStep(const CacheStepRecord& step) {
  std::lock_guard lock(mu_);
  all_steps_.push_back(step);
}

std::vector<CacheStepRecord> BuildSession::AllSteps() {
  std::lock_guard lock(mu_);
  return all_steps_;
}

void BuildSession::NoteImage(const CacheImageRecord& image) {
  std::lock_guard lock(mu_);
  images_done_.push_back(image);
}

std::vector<CacheImageRecord> BuildSession::Images() {
  std::lock_guard lock(mu_);
  return images_done_;
}

void BuildSession::NotePushed(const core::Reference& ref) {
  std::lock_guard lock(mu_);
  pushed_.push_back(ref);
}

std::vector<core::Reference> BuildSession::Pushed() {
  std::lock_guard lock(mu_);
  return pushed_;
}

std::string BuildSession::NextTaskId() { return "#" + std::to_string(++task_counter_); }

core::Result<std::string> BuildSession::ScratchDir(std::string_view purpose) {
  KILN_TRY(layers::MakeDirs(store_.tmp_dir()));
  KILN_ASSIGN(auto dir, layers::OwnedTempDir::Create(store_.tmp_dir() + "/build-" +
                                                     std::string(purpose) + "-XXXXXX"));
  std::string path = dir.path();
  std::lock_guard lock(mu_);
  scratch_.push_back(std::move(dir));
  return path;
}

core::Result<std::string> BuildSession::Flatten(const ImageState& state) {
  {
    std::lock_guard lock(mu_);
    if (auto it = flattened_.find(state.key.hex()); it != flattened_.end()) return it->second;
  }
  KILN_ASSIGN(std::string dir, ScratchDir("fs"));
  layers::LayerFlavor flavor =
      state.windows() ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux;
  for (size_t i = 0; i < state.layers.size(); ++i) {
    KILN_TRY(core::CheckCancelled());
    const core::Descriptor& layer = state.layers[i];
    KILN_TRY(images_.EnsureLocal(layer, i < state.origins.size() ? state.origins[i] : LayerOrigin{}));
    KILN_ASSIGN(auto blob, store_.Open(layer.digest));
    layers::ApplyOptions options;
    options.flavor = flavor;
    auto applied = layers::ApplyLayerBlob(*blob, dir, options);
    if (!applied)
      return core::Fail(applied.error().Wrap("unpacking layer " + layer.digest.ToString()));
  }
  std::lock_guard lock(mu_);
  flattened_[state.key.hex()] = dir;
  return dir;
}

}  // namespace kiln::builder
