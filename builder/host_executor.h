// The factory that picks the Executor of the host kiln runs on: runc on Linux
// (builder/linux/host_executor.cc), HCS (process or Hyper-V isolation) on Windows (builder/windows/*_win.cc).
#pragma once

#include <memory>
#include <string>

#include "builder/executor.h"

namespace kiln::builder {

// What `kiln build` asks of the host's executor (Windows only; runc ignores it).
struct HostExecutorOptions {
  Isolation isolation = Isolation::kAuto;
  UtilityVmSize utility_vm;
};

// The host's executor, keeping its state (runtime state, bundles, locks) under `store_root`.
// Never null; a host that cannot run steps says so in Preflight.
std::unique_ptr<Executor> MakeHostExecutor(const std::string& store_root,
                                           const HostExecutorOptions& options = {});

}  // namespace kiln::builder
