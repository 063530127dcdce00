// Opening the local store for a command: layers::Store::Open plus the sweep of what killed kiln
// processes left running or mounted (containers, overlay mounts, active snapshots). Every verb
// opens the store through here, so a kill -9 during RUN is cleaned up by the next command of any
// kind (a fully cached build, `images`, `prune`), not only by the next RUN step.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "layers/store.h"

namespace kiln::builder {

// Opens (creating) the store at `root` and sweeps leftovers of dead kiln processes. The sweep is
// best effort: a failure (no runc, not root) is left for a build's pre-flight to report, so
// reading commands still work. Errors are Store::Open's.
core::Result<std::unique_ptr<layers::Store>> OpenStore(const std::string& root);

// The sweep alone (OpenStore calls it): executor first (a container holds its snapshot's mount
// busy), then the snapshotter.
void SweepLeftovers(const std::string& root);

}  // namespace kiln::builder
