#include "layers/linux/layer_unpack.h"

namespace kiln::layers {

core::Status UnpackLayer(core::Reader& blob, const core::Digest& diff_id, const std::string& dir) {
  return core::Fail(core::ErrorCode::kUnsupported,
                    "unpacking layers needs the tar reader (not on main yet)");
}

}  // namespace kiln::layers
