#include "builder/layer_files_log.h"

#include "layers/fs_util.h"

namespace kiln::builder {

std::function<std::unique_ptr<layers::LayerFileHook>()> LayerFilesLog::Hook() {
  return [this] {
    return std::make_unique<layers::LayerFilesRecorder>(
        [this](layers::LayerFiles&& f) { Add(std::move(f)); });
  };
}

std::string LayerFilesLog::SidecarPath(const core::Digest& diff_id) const {
  return store_.cache_dir() + "/layer-files/" + diff_id.hex() + ".json";
}

LayerFilesLog::~LayerFilesLog() {
  for (auto& t : writers_) t.join();
}

std::shared_ptr<const layers::LayerFiles> LayerFilesLog::Add(layers::LayerFiles&& files) {
  core::Digest id = files.diff_id;
  auto shared = std::make_shared<const layers::LayerFiles>(std::move(files));
  std::lock_guard lock(mu_);
  files_[id] = shared;
  std::shared_ptr<const layers::LayerFiles> result = shared;
  // Best effort, on another thread: without the sidecar a later cached build reads the blob
  // instead (a torn one does not parse, or names another diff_id, and is read past the same way).
  writers_.emplace_back([this, shared = std::move(shared)] {
    try {
      if (layers::MakeDirs(store_.cache_dir() + "/layer-files"))
        (void)layers::WriteFileAtomic(SidecarPath(shared->diff_id), shared->Serialize());
    } catch (...) {  // a name JSON cannot carry (not UTF-8): no sidecar
    }
  });
  return result;
}

core::Result<std::shared_ptr<const layers::LayerFiles>> LayerFilesLog::Get(
    const core::Digest& diff_id, const core::Digest& blob) {
  {
    std::lock_guard lock(mu_);
    if (auto it = files_.find(diff_id); it != files_.end()) return it->second;
  }
  if (auto text = layers::ReadFileToString(SidecarPath(diff_id))) {
    auto parsed = layers::LayerFiles::Parse(*text);
    if (parsed && parsed->diff_id == diff_id)
      return std::make_shared<const layers::LayerFiles>(std::move(*parsed));
  }
  KILN_ASSIGN(auto reader, store_.Open(blob));
  auto recorded = layers::RecordLayerBlob(*reader);
  if (!recorded) return core::Fail(recorded.error().Wrap("reading layer " + blob.ToString() + " for the SBOM"));
  if (recorded->diff_id != diff_id)
    return core::Fail(core::ErrorCode::kConflict, "layer " + blob.ToString() + " does not match its diff_id");
  return Add(std::move(*recorded));
}

}  // namespace kiln::builder
