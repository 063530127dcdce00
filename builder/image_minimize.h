// `kiln build --minimize`: the stored result of a build shrunk (builder/image_shrink.h) before
// it is named, exported or pushed. The base is the FROM image's layers, known exactly here.
#pragma once

#include <string>

#include "builder/build_session.h"
#include "builder/image_state.h"
#include "core/error.h"
#include "core/image.h"

namespace kiln::builder {

// Shrinks the image `manifest` built from `state` with the default passes (squash, metadata-only
// layers, junk, useless whiteouts) and the build's compression; appends the pass report to
// `report`. Returns the new manifest.
core::Result<core::Descriptor> MinimizeImage(BuildSession& session, const ImageState& state,
                                             const core::Descriptor& manifest, std::string& report);

}  // namespace kiln::builder
