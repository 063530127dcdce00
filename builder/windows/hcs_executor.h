// The Windows Executor (ARCHITECTURE "Seams"): one RUN step in an HCS container on the scratch
// volume the windowsfilter snapshotter prepared (hcs-api.md 3.5 E), process-isolated or Hyper-V
// isolated (docs/windows.md "Isolation", "One Hyper-V isolated RUN step").
//  process: create -> start -> create process -> stream stdio -> wait for exit (step timeout,
//           Ctrl-C) -> close process -> shutdown (else terminate) -> close.
//  Hyper-V: the scratch is lent to a utility VM booted from the base layer's UtilityVM (detached
//           from the host, re-attached after), the VM is created and started, the scratch is
//           mounted and the layers combined in it by guest requests, the container is created in
//           it, then as above; the container and the VM are stopped and closed in that order.
// Every failure point unwinds through the owning handle types, so the container (and the VM)
// are gone when Run returns. Platform-neutral over the thin ComputeApi/LayerApi/HostApi/LayerFs.
#pragma once

#include <optional>
#include <string>

#include "builder/executor.h"
#include "builder/windows/compute_api.h"
#include "builder/windows/hcs_documents.h"
#include "builder/windows/hcs_timeouts.h"
#include "layers/windows/host_api.h"
#include "layers/windows/layer_api.h"
#include "layers/windows/layer_fs.h"

namespace kiln::builder::windows {

class HcsSystem;

struct HcsExecutorOptions {
  HcsTimeouts timeouts;
  std::string owner = "kiln";  // ComputeSystem Owner, shown by hcsdiag
  Isolation isolation = Isolation::kAuto;
  UtilityVmSize utility_vm;
  // Logical processors of the host, to cap utility_vm.processors as hcsshim does
  // (vmutils/normalize.go:38-57); 0 = std::thread::hardware_concurrency().
  uint32_t host_processors = 0;
};

class HcsExecutor : public Executor {
 public:
  // Without `fs` only process isolation can run.
  HcsExecutor(ComputeApi& compute, layers::windows::LayerApi& layers,
              layers::windows::HostApi& host, HcsExecutorOptions options = {},
              layers::windows::LayerFs* fs = nullptr)
      : compute_(compute), layers_(layers), host_(host), options_(std::move(options)), fs_(fs) {}

  static constexpr const char* kName = "HCS process isolation";
  static constexpr const char* kHyperVName = "HCS Hyper-V isolation";
  // kName, or kHyperVName once pre-flight chose Hyper-V isolation.
  std::string Name() const override {
    return chosen_ == Isolation::kHyperV ? kHyperVName : kName;
  }
  // The pre-flight of preflight.h; remembers the isolation it chose.
  core::Status Preflight(const core::Platform& target) override;
  std::string IsolationChosen() const override;
  // spec.rootfs = the scratch volume, spec.scratch_folder = its layer folder, spec.layer_folders
  // = parent layers nearest first, spec.command_line (or argv) = what to run. The isolation is
  // the one pre-flight chose for spec.platform (the same rule for another stage's platform).
  // Ctrl-C terminates the process and returns kCancelled; spec.timeout terminates it and returns
  // timed_out.
  core::Result<ExitStatus> Run(const RunSpec& spec) override;

 private:
  core::Result<Isolation> IsolationFor(const core::Platform& platform);
  core::Result<std::vector<HcsLayer>> Layers(const RunSpec& spec);
  core::Result<ExitStatus> RunProcessIsolated(const RunSpec& spec);
  core::Result<ExitStatus> RunHyperVIsolated(const RunSpec& spec);
  // Create process -> stdio -> wait (timeout, Ctrl-C) -> close, in a started system.
  core::Result<ExitStatus> RunProcess(HcsSystem& system, const std::string& process_doc,
                                      const RunSpec& spec);

  ComputeApi& compute_;
  layers::windows::LayerApi& layers_;
  layers::windows::HostApi& host_;
  HcsExecutorOptions options_;
  layers::windows::LayerFs* fs_;
  std::optional<Isolation> chosen_;
  std::string chosen_for_;  // the platform pre-flight chose for
};

}  // namespace kiln::builder::windows
