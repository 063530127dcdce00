// The end of a build: configs, manifests and (for several platforms) an index written into the
// local store, names tagged, and the requested outputs (OCI layout, docker archive, registry
// push), --iidfile and --metadata-file.
#pragma once

#include <utility>
#include <vector>

#include "builder/attestation.h"
#include "builder/build_session.h"
#include "builder/builder.h"
#include "builder/image_state.h"
#include "core/error.h"

namespace kiln::builder {

core::Status WriteOutputs(BuildSession& session,
                          const std::vector<std::pair<core::Platform, ImageState>>& built,
                          BuildResult& result, const AttestationInputs& inputs = {});

// The OCI media type for a layer media type (Docker types map to their OCI equivalents, foreign
// and non-distributable ones to the distributable type; the bytes and digest are unchanged).
std::string OciLayerMediaType(std::string_view media_type);

}  // namespace kiln::builder
