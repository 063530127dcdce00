// layers/apply_layer.h on Windows: not implemented yet. The Linux applier's safety rests on
// openat-style lookups that never leave the root (layers/linux/in_root.h); a Windows one needs
// the same guarantee with handles (reparse points, `\`, `:` streams, reserved device names)
// before it may unpack untrusted layers. Until then the callers (COPY --from a stage, ADD of a
// local archive, RUN --mount=from=) fail with this one line on a Windows host.
#include "layers/apply_layer.h"

namespace kiln::layers {

core::Result<ApplyReport> ApplyLayer(core::Reader& tar, const std::string& root,
                                     const ApplyOptions& options) {
  return core::Fail(core::ErrorCode::kUnsupported,
                    "unpacking a layer into a directory (" + root +
                        ") is not implemented in kiln.exe yet: COPY --from a stage, ADD of a "
                        "local archive and RUN --mount=from= need a Linux host for now");
}

core::Result<ApplyReport> ApplyLayerBlob(core::Reader& blob, const std::string& root,
                                         const ApplyOptions& options) {
  return ApplyLayer(blob, root, options);
}

}  // namespace kiln::layers
