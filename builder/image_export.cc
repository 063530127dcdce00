#include "builder/image_export.h"

#include "builder/image_transfer.h"
#include "core/reference.h"
#include "layers/image_export.h"
#include "layers/local_image.h"

namespace kiln::builder {
namespace {

// File outputs need every blob local: base layers are fetched (verified) now.
core::Status FetchMissing(BuildSession& session, const core::Descriptor& top) {
  layers::Store& store = session.store();
  KILN_ASSIGN(auto manifests, layers::ManifestsOf(store, top));
  for (const auto& m : manifests) {
    KILN_ASSIGN(layers::LocalImage image, layers::LoadImage(store, m));
    for (const auto& layer : image.manifest.layers)
      KILN_TRY(session.images().EnsureLocal(layer, LayerOrigin{}));
  }
  return {};
}

}  // namespace

core::Status ExportImage(BuildSession& session, const BuildResult& result, const OutputSpec& out) {
  layers::Store& store = session.store();
  const BuildOptions& o = session.options();
  if (out.type == OutputSpec::Type::kRegistry) {
    std::vector<std::string> names = out.names.empty() ? o.tags : out.names;
    if (names.empty())
      return core::Fail(core::ErrorCode::kInvalidInput, "pushing needs a name: add -t REGISTRY/REPO:TAG");
    for (const auto& name : names) {
      KILN_ASSIGN(core::Reference ref, core::Reference::Parse(name));
      auto pushed = PushDescriptor(session.images().client(), store, result.top, ref, &session.progress());
      if (!pushed) return core::Fail(pushed.error().Wrap("pushing " + ref.ToString()));
      session.NotePushed(ref);
    }
    return {};
  }
  KILN_TRY(FetchMissing(session, result.top));
  // Names to export under: the -t names, else the digest.
  std::vector<std::string> names = result.names;
  if (names.empty()) names.push_back("kiln-build@" + result.top.digest.ToString());
  layers::SaveOptions save;
  save.format = out.type == OutputSpec::Type::kDocker ? layers::ExportFormat::kDocker
                                                      : layers::ExportFormat::kOci;
  save.output = out.dest;
  save.source_date_epoch = o.source_date_epoch;
  auto saved = layers::SaveImages(store, names, save);
  if (!saved) return core::Fail(saved.error().Wrap("writing the " + std::string(out.type == OutputSpec::Type::kDocker ? "docker" : "oci") + " output " + out.dest));
  return {};
}

}  // namespace kiln::builder
