// Outputs of a build beyond the local store: an OCI layout (directory or tar), a docker-archive
// tar, or a push to a registry. Base layers that are not local are fetched for file outputs and
// mounted (same registry) or streamed (other registry) for pushes.
#pragma once

#include "builder/build_session.h"
#include "builder/builder.h"
#include "core/error.h"

namespace kiln::builder {

core::Status ExportImage(BuildSession& session, const BuildResult& result, const OutputSpec& out);

}  // namespace kiln::builder
