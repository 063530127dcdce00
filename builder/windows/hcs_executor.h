// The Windows Executor (ARCHITECTURE "Seams"): one RUN step in an HCS process-isolated container
// on the scratch volume the windowsfilter snapshotter prepared (hcs-api.md 3.5 E):
// create -> start -> create process -> stream stdio -> wait for exit (step timeout, Ctrl-C) ->
// close process -> shutdown (else terminate) -> close. Every failure point unwinds through the
// owning handle types, so the container is gone when Run returns. Platform-neutral over the thin
// ComputeApi/LayerApi/HostApi layers.
#pragma once

#include <string>

#include "builder/executor.h"
#include "builder/windows/compute_api.h"
#include "builder/windows/hcs_timeouts.h"
#include "layers/windows/host_api.h"
#include "layers/windows/layer_api.h"

namespace kiln::builder::windows {

struct HcsExecutorOptions {
  HcsTimeouts timeouts;
  std::string owner = "kiln";  // ComputeSystem Owner, shown by hcsdiag
};

class HcsExecutor : public Executor {
 public:
  HcsExecutor(ComputeApi& compute, layers::windows::LayerApi& layers,
              layers::windows::HostApi& host, HcsExecutorOptions options = {})
      : compute_(compute), layers_(layers), host_(host), options_(std::move(options)) {}

  static constexpr const char* kName = "HCS process isolation";
  std::string Name() const override { return kName; }
  core::Status Preflight(const core::Platform& target) override;
  // spec.rootfs = the scratch volume, spec.layer_folders = parent layers nearest first,
  // spec.command_line (or argv) = what to run. Ctrl-C terminates the process and returns
  // kCancelled; spec.timeout terminates it and returns timed_out.
  core::Result<ExitStatus> Run(const RunSpec& spec) override;

 private:
  core::Result<std::string> SystemDocument(const RunSpec& spec);

  ComputeApi& compute_;
  layers::windows::LayerApi& layers_;
  layers::windows::HostApi& host_;
  HcsExecutorOptions options_;
};

}  // namespace kiln::builder::windows
