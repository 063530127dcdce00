#include "builder/image_output.h"

#include <set>

#include "builder/image_export.h"
#include "core/media_types.h"
#include "core/reference.h"
#include "layers/fs_util.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;
namespace media = core::media;

struct Written {
  core::Descriptor manifest;
  core::Descriptor config;
};

core::Result<Written> WriteImage(BuildSession& session, const core::Platform& platform,
                                 const ImageState& state, BuildResult& result) {
  layers::Store& store = session.store();
  core::ImageConfig config = state.config;
  config.created = core::Rfc3339(session.created_time());
  for (const auto& [k, v] : session.options().labels) config.config.labels[k] = v;
  core::Manifest manifest;
  manifest.media_type = std::string(media::kOciManifest);
  BuiltImage image;
  image.platform = config.platform();
  size_t base_count = 0;
  for (size_t i = 0; i < state.layers.size(); ++i) {
    core::Descriptor layer = state.layers[i];
    layer.media_type = OciLayerMediaType(layer.media_type);
    layer.urls.clear();
    const LayerOrigin& origin = i < state.origins.size() ? state.origins[i] : LayerOrigin{};
    if (!origin.layout_dir.empty()) {
      KILN_TRY(session.images().EnsureLocal(state.layers[i], origin));
    } else if (!origin.registry.empty() && !store.Has(layer.digest)) {
      KILN_TRY(store.RecordRemote(layer, {origin.registry, origin.repository}));
    }
    if (!origin.registry.empty() || !origin.layout_dir.empty()) ++base_count;
    manifest.layers.push_back(layer);
  }
  // History entries describe layers in order; pair them up for the summary.
  size_t li = 0;
  for (const auto& h : config.history) {
    if (h.empty_layer) continue;
    if (li < manifest.layers.size())
      image.layers.push_back({manifest.layers[li], h.created_by, li < base_count});
    ++li;
  }
  for (; li < manifest.layers.size(); ++li)
    image.layers.push_back({manifest.layers[li], "", li < base_count});
  KILN_ASSIGN(manifest.config, layers::PutBlob(store, config.Serialize(), media::kOciConfig));
  KILN_ASSIGN(core::Descriptor m, layers::PutBlob(store, manifest.Serialize(), media::kOciManifest));
  m.platform = platform;
  m.platform->os = config.os;
  m.platform->architecture = config.architecture;
  m.platform->variant = config.variant;
  m.platform->os_version = config.os_version;
  m.platform->os_features = config.os_features;
  image.manifest = m;
  image.config = manifest.config;
  result.images.push_back(std::move(image));
  return Written{m, manifest.config};
}

core::Status WriteFiles(const BuildOptions& o, const BuildResult& r, const core::Descriptor& config) {
  if (!o.iidfile.empty()) KILN_TRY(layers::WriteFileAtomic(o.iidfile, r.top.digest.ToString()));
  if (!o.metadata_file.empty()) {
    core::Json j = core::Json::object();
    if (r.images.size() == 1) j["containerimage.config.digest"] = config.digest.ToString();
    core::Descriptor top = r.top;
    top.platform.reset();
    j["containerimage.descriptor"] = top.ToJson();
    j["containerimage.digest"] = r.top.digest.ToString();
    std::string names;
    for (const auto& n : r.names) names += (names.empty() ? "" : ",") + n;
    if (!names.empty()) j["image.name"] = names;
    KILN_TRY(layers::WriteFileAtomic(o.metadata_file, j.dump(2) + "\n"));
  }
  return {};
}

}  // namespace

std::string OciLayerMediaType(std::string_view t) {
  switch (media::LayerCompression(t)) {
    case media::Compression::kGzip: return std::string(media::kOciLayerGzip);
    case media::Compression::kZstd: return std::string(media::kOciLayerZstd);
    case media::Compression::kNone: return std::string(media::kOciLayer);
  }
  return std::string(t);
}

core::Status WriteOutputs(BuildSession& session,
                          const std::vector<std::pair<core::Platform, ImageState>>& built,
                          BuildResult& result) {
  layers::Store& store = session.store();
  const BuildOptions& o = session.options();
  std::vector<Written> written;
  for (const auto& [platform, state] : built) {
    KILN_ASSIGN(Written w, WriteImage(session, platform, state, result));
    written.push_back(w);
  }
  if (written.size() == 1) {
    result.top = written[0].manifest;
    result.top.platform.reset();
  } else {
    core::Index index;
    index.media_type = std::string(media::kOciIndex);
    for (const auto& w : written) index.manifests.push_back(w.manifest);
    KILN_ASSIGN(result.top, layers::PutBlob(store, index.Serialize(), media::kOciIndex));
  }
  std::set<std::string> seen;
  for (const auto& img : result.images) {
    for (const auto& l : img.layers)
      if (seen.insert(l.blob.digest.hex()).second) result.compressed_size += l.blob.size;
    if (seen.insert(img.config.digest.hex()).second) result.compressed_size += img.config.size;
  }
  for (const auto& tag : o.tags) {
    KILN_ASSIGN(std::string name, layers::Store::NormalizeName(tag));
    KILN_TRY(store.Tag(name, result.top));
    result.names.push_back(name);
  }
  for (const auto& out : o.outputs) KILN_TRY(ExportImage(session, result, out));
  if (o.push) {
    OutputSpec push;
    push.type = OutputSpec::Type::kRegistry;
    KILN_TRY(ExportImage(session, result, push));
  }
  return WriteFiles(o, result, written.front().config);
}

}  // namespace kiln::builder
