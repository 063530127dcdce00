#include "builder/image_export.h"

namespace kiln::builder {

core::Status ExportImage(BuildSession& session, const BuildResult& result, const OutputSpec& out) {
  (void)session;
  (void)result;
  (void)out;
  return core::Fail(core::ErrorCode::kUnsupported, "build outputs other than the local store are not wired yet");
}

}  // namespace kiln::builder
