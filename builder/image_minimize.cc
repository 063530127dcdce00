#include "builder/image_minimize.h"

#include "builder/image_shrink.h"
#include "builder/image_source.h"
#include "layers/compression.h"

namespace kiln::builder {

core::Result<core::Descriptor> MinimizeImage(BuildSession& session, const ImageState& state,
                                             const core::Descriptor& manifest, std::string& report) {
  const BuildOptions& o = session.options();
  ShrinkRequest request;
  request.base_layers = state.base_layers;
  request.progress = &session.progress();
  if (o.compression != "gzip" || o.compression_level >= 0) {
    layers::CompressionOptions c;
    KILN_ASSIGN(c.kind, layers::ParseCompression(o.compression));
    c.level = o.compression_level;
    request.compression = c;
  }
  EnsureLayerFn ensure = [&](const core::Descriptor& layer) -> core::Status {
    for (size_t i = 0; i < state.layers.size(); ++i)
      if (state.layers[i].digest == layer.digest)
        return session.images().EnsureLocal(layer, i < state.origins.size() ? state.origins[i] : LayerOrigin{});
    return session.images().EnsureLocal(layer, LayerOrigin{});
  };
  auto shrunk = ShrinkManifest(session.store(), manifest, request, ensure);
  if (!shrunk) return std::unexpected(shrunk.error().Wrap("--minimize"));
  report += "minimize " + state.platform().ToString() + ":\n" + RenderShrinkReport(*shrunk);
  return shrunk->after;
}

}  // namespace kiln::builder
