#include "layers/local_image.h"

#include "core/media_types.h"

namespace kiln::layers {

core::Result<core::Descriptor> PutImage(BlobStore& store, const core::ImageConfig& config,
                                        const std::vector<core::Descriptor>& layers,
                                        bool docker) {
  using namespace core::media;
  if (config.diff_ids.size() != layers.size())
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "image config lists " + std::to_string(config.diff_ids.size()) +
                          " diff_ids for " + std::to_string(layers.size()) + " layers");
  KILN_ASSIGN(core::Descriptor cfg,
              PutBlob(store, config.Serialize(), docker ? kDockerConfig : kOciConfig));
  core::Manifest m;
  m.media_type = std::string(docker ? kDockerManifest : kOciManifest);
  m.config = cfg;
  m.layers = layers;
  KILN_ASSIGN(core::Descriptor d, PutBlob(store, m.Serialize(), m.media_type));
  d.platform = config.platform();
  return d;
}

core::Result<core::Descriptor> PutIndex(BlobStore& store,
                                        const std::vector<core::Descriptor>& manifests,
                                        bool docker) {
  core::Index index;
  index.media_type = std::string(docker ? core::media::kDockerManifestList : core::media::kOciIndex);
  index.manifests = manifests;
  return PutBlob(store, index.Serialize(), index.media_type);
}

core::Result<LocalImage> LoadImage(BlobStore& store, const core::Descriptor& d) {
  LocalImage img;
  img.descriptor = d;
  KILN_ASSIGN(img.manifest_bytes, ReadBlob(store, d.digest));
  KILN_ASSIGN(std::string type, core::DetectMediaType(img.manifest_bytes, d.media_type));
  if (core::media::IsIndex(type))
    return core::Fail(core::ErrorCode::kInvalidInput,
                      d.digest.ToString() + " is an image index, not a manifest");
  KILN_ASSIGN(img.manifest, core::Manifest::Parse(img.manifest_bytes, type));
  img.descriptor.media_type = img.manifest.media_type;
  KILN_ASSIGN(img.config_bytes, ReadBlob(store, img.manifest.config.digest));
  auto config = core::ImageConfig::Parse(img.config_bytes);
  if (!config)
    return core::Fail(config.error().Wrap("config " + img.manifest.config.digest.ToString()));
  img.config = std::move(*config);
  if (!img.descriptor.platform) img.descriptor.platform = img.config.platform();
  return img;
}

core::Result<core::Index> LoadIndex(BlobStore& store, const core::Descriptor& d) {
  KILN_ASSIGN(std::string bytes, ReadBlob(store, d.digest));
  return core::Index::Parse(bytes, d.media_type);
}

core::Result<std::vector<core::Descriptor>> ManifestsOf(BlobStore& store,
                                                        const core::Descriptor& d) {
  if (!core::media::IsIndex(d.media_type)) return std::vector<core::Descriptor>{d};
  KILN_ASSIGN(core::Index index, LoadIndex(store, d));
  std::vector<core::Descriptor> out;
  for (const auto& m : index.manifests) {
    // Attestation manifests (buildx's storage: vnd.docker.reference.type) are no images.
    auto type = m.annotations.find("vnd.docker.reference.type");
    if (type != m.annotations.end() && type->second == "attestation-manifest") continue;
    if (core::media::IsManifest(m.media_type)) out.push_back(m);
  }
  return out;
}

}  // namespace kiln::layers
