// RUN support for a build: checks, before any work, that this host can execute every RUN the
// target needs, and gives the session the host's executor and snapshotter.
#pragma once

#include "builder/build_graph.h"
#include "builder/build_session.h"
#include "core/error.h"
#include "core/platform.h"

namespace kiln::builder {

// No-op when no needed stage has a RUN. Otherwise fails, located at the first RUN that cannot
// run here (a Windows stage on a non-Windows host; a host without a working executor), naming
// the stage and what host it needs.
core::Status PrepareRunSupport(BuildSession& session, const BuildGraph& graph,
                               const core::Platform& target);

}  // namespace kiln::builder
