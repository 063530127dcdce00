#include "builder/image_output.h"

#include <set>

#include "builder/image_export.h"
#include "builder/image_minimize.h"
#include "builder/remote_cache.h"
#include "core/media_types.h"
#include "layers/fs_util.h"
#include "layers/local_image.h"

namespace kiln::builder {
namespace {

namespace media = core::media;

// Stores one platform's config and manifest; the layers are the state's (base layers need not
// be local: the store knows where they come from).
core::Result<core::Descriptor> WriteImage(BuildSession& session, const ImageState& state,
                                          BuildResult& result) {
  layers::Store& store = session.store();
  core::ImageConfig config = state.config;
  config.created = core::Rfc3339(session.created_time());
  for (const auto& [k, v] : session.options().labels) config.config.labels[k] = v;
  // A final state a --cache-from export also finished: take its times (only those), so a fully
  // cached build on another runner writes the same config, hence the same image digest.
  if (!session.options().source_date_epoch) {
    auto times = session.imports().Image(state.key, config.platform());
    if (times && times->history_created.size() == config.history.size()) {
      config.created = times->created;
      for (size_t i = 0; i < config.history.size(); ++i)
        config.history[i].created = times->history_created[i];
    }
  }
  CacheImageRecord image_times{state.key, config.platform(), config.created, {}};
  for (const auto& h : config.history) image_times.history_created.push_back(h.created);
  session.NoteImage(image_times);
  for (const auto& spec : session.options().cache_to)
    if (spec.type == CacheSpec::Type::kInline) {
      config.extra[std::string(kInlineCacheField)] =
          MakeCacheDocument(state.cache_steps, {image_times}, false).ToJson();
      break;
    }
  std::vector<core::Descriptor> layer_descs;
  for (size_t i = 0; i < state.layers.size(); ++i) {
    core::Descriptor layer = state.layers[i];
    layer.media_type = OciLayerMediaType(layer.media_type);
    layer.urls.clear();
    if (i < state.origins.size() && !state.origins[i].layout_dir.empty())
      KILN_TRY(session.images().EnsureLocal(state.layers[i], state.origins[i]));
    layer_descs.push_back(std::move(layer));
  }
  KILN_ASSIGN(core::Descriptor manifest, layers::PutImage(store, config, layer_descs));
  if (session.options().minimize) {
    KILN_ASSIGN(manifest, MinimizeImage(session, state, manifest, result.minimize_report));
  }
  KILN_ASSIGN(layers::LocalImage stored, layers::LoadImage(store, manifest));
  const std::vector<core::Descriptor>& out_layers = stored.manifest.layers;
  BuiltImage image;
  image.platform = config.platform();
  image.manifest = manifest;
  image.config = stored.manifest.config;
  size_t li = 0;  // history entries describe layers in order
  for (const auto& h : stored.config.history) {
    if (h.empty_layer) continue;
    if (li < out_layers.size()) image.layers.push_back({out_layers[li], h.created_by, li < state.base_layers});
    ++li;
  }
  for (; li < out_layers.size(); ++li) image.layers.push_back({out_layers[li], "", li < state.base_layers});
  result.images.push_back(std::move(image));
  return manifest;
}

core::Status WriteFiles(const BuildOptions& o, const BuildResult& r) {
  if (!o.iidfile.empty()) KILN_TRY(layers::WriteFileAtomic(o.iidfile, r.top.digest.ToString()));
  if (o.metadata_file.empty()) return {};
  core::Json j = core::Json::object();
  if (r.images.size() == 1) j["containerimage.config.digest"] = r.images[0].config.digest.ToString();
  core::Descriptor top = r.top;
  top.platform.reset();
  j["containerimage.descriptor"] = top.ToJson();
  j["containerimage.digest"] = r.top.digest.ToString();
  std::string names;
  for (const auto& n : r.names) names += (names.empty() ? "" : ",") + n;
  if (!names.empty()) j["image.name"] = names;
  // How Windows RUN steps were isolated (kiln's own key; buildx has none).
  if (!r.isolation.empty()) j["kiln.windows.isolation"] = r.isolation;
  if (!r.cache_exports.empty()) j["kiln.cache.exported"] = r.cache_exports;
  if (!r.cache_imports.empty()) j["kiln.cache.imported"] = r.cache_imports;
  return layers::WriteFileAtomic(o.metadata_file, j.dump(2) + "\n");
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
                          BuildResult& result, const AttestationInputs& inputs) {
  layers::Store& store = session.store();
  const BuildOptions& o = session.options();
  std::vector<core::Descriptor> manifests;
  for (const auto& [platform, state] : built) {
    KILN_ASSIGN(core::Descriptor m, WriteImage(session, state, result));
    manifests.push_back(std::move(m));
  }
  if (EffectiveProvenance(o) != ProvenanceMode::kOff || o.attest.sbom) {
    // As buildx: an index over the image(s) and their attestation manifests, even for one
    // platform.
    KILN_ASSIGN(result.top, AttachAttestations(session, built, result, inputs));
  } else if (manifests.size() == 1) {
    result.top = manifests[0];
    result.top.platform.reset();
  } else {
    KILN_ASSIGN(result.top, layers::PutIndex(store, manifests));
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
  KILN_TRY(ExportCaches(session, built, result));
  result.cache_imports = session.imports().Summary();
  return WriteFiles(o, result);
}

}  // namespace kiln::builder
