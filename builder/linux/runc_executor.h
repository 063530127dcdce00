// The Linux Executor: each RUN step runs under runc (Debian's runc; crun cannot run on cgroup
// v1/v2 hybrid hosts) from a generated bundle, with the step's root prepared by the overlay
// snapshotter. State lives under the store, one lock per container, so leftovers of a killed
// kiln are found and deleted by the next one.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "builder/executor.h"

namespace kiln::builder {

struct RuncExecutorOptions {
  std::string state_dir;  // e.g. <store>/runc: state/ (runc --root), bundles/, locks/
  std::string runc = "runc";
  // How long a step that was told to stop (timeout, Ctrl-C) may take before SIGKILL.
  std::chrono::milliseconds kill_grace{3000};
};

class RuncExecutor final : public Executor {
 public:
  explicit RuncExecutor(RuncExecutorOptions options);

  std::string Name() const override { return "runc"; }
  // Needs a linux target of this host's architecture, root, a working runc and overlayfs; also
  // sweeps leftovers of killed kiln processes.
  core::Status Preflight(const core::Platform& target) override;
  // Runs spec.argv in spec.rootfs. A non-zero exit or a timeout is an ExitStatus; a command that
  // cannot start (missing shell, unknown user) is a kRuntime/kInvalidInput error located at the
  // RUN; Ctrl-C is kCancelled. The container, its bundle and mounts are gone on return.
  core::Result<ExitStatus> Run(const RunSpec& spec) override;
  // Deletes containers, bundles and mounts whose owning kiln process is gone.
  core::Status SweepStale() override;

 private:
  core::Status EnsureLayout();
  std::string NewContainerId(const std::string& hint);
  core::Result<ExitStatus> RunInBundle(const RunSpec& spec, const std::string& id,
                                       const std::string& bundle);
  // Runs the container of `bundle` whose config.json is in `config_dir` (the bundle, or the
  // secrets tmpfs when the config holds secret values).
  core::Result<ExitStatus> StartAndWait(const RunSpec& spec, const std::string& id,
                                        const std::string& bundle, const std::string& config_dir);
  core::Status DeleteContainer(const std::string& id);
  core::Status RemoveBundle(const std::string& bundle);

  RuncExecutorOptions options_;
  std::string state_, bundles_, locks_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace kiln::builder
