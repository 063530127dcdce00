#include "builder/windows/hcs_executor.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "builder/windows/hcs_process.h"
#include "builder/windows/hcs_system.h"
#include "builder/windows/preflight.h"
#include "builder/windows/stdio_pump.h"
#include "core/cancel.h"
#include "layers/windows/layer_entry.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;
using Clock = std::chrono::steady_clock;
using core::ErrorCode;
using core::Fail;

namespace {

core::Status Check(lw::HResult hr, const std::string& what) {
  if (!lw::Failed(hr)) return {};
  return Fail(lw::HcsError(what, hr));
}

// The utility VM boots from the nearest layer that has a UtilityVM folder (hcsshim
// internal/uvmfolder/locate.go:18-41); kiln keeps UtilityVM/ of base layers only.
core::Result<std::filesystem::path> LocateUtilityVm(lw::LayerFs& fs,
                                                    const std::vector<std::string>& folders) {
  for (const auto& folder : folders) {
    auto uvm = lw::PathFromUtf8(folder) / lw::PathFromUtf8(lw::kUtilityVm);
    KILN_ASSIGN(auto attrs, fs.Attributes(uvm));
    if (attrs && (*attrs & lw::kAttrDirectory) && !(*attrs & lw::kAttrReparsePoint)) return uvm;
  }
  return Fail(ErrorCode::kUnsupported,
              "Hyper-V isolation boots a utility VM from the base image's UtilityVM folder, and "
              "no layer of this image has one (layers imported by a kiln before Hyper-V support "
              "lack it: remove the store's windowsfilter\\layers folder to import them again)");
}

core::Status CopyFile(lw::LayerFs& fs, const std::filesystem::path& from,
                      const std::filesystem::path& to) {
  KILN_ASSIGN(auto source, fs.Open(from));
  KILN_ASSIGN(auto target, fs.CreateNew(to, lw::LayerFs::Kind::kFile));
  std::string buffer(1 << 20, '\0');
  for (uint64_t at = 0;;) {
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(size_t n, source->ReadAt(at, buffer.data(), buffer.size()));
    if (n == 0) break;
    KILN_TRY(target->Write(buffer.data(), n));
    at += n;
  }
  KILN_TRY(source->Close());
  return target->Close();
}

// PrepareLayer is not safe concurrently (hcs-api.md 3.5 D); the snapshotter has its own lock,
// this one serialises the executor's re-attachments.
std::mutex& PrepareMutex() {
  static std::mutex mu;
  return mu;
}

bool Retryable(lw::HResult hr) {
  return lw::SameHResult(hr, lw::kWin32NotReady) ||
         lw::SameHResult(hr, lw::kWin32DeviceNotConnected);
}

// The scratch layer lent to a utility VM. The snapshotter activated and prepared it on the host
// (its volume is spec.rootfs); a VM attaches the VHD itself (SCSI), which an attached VHD would
// refuse, so the loan detaches it (UnprepareLayer, DeactivateLayer) and gives it back as it
// found it (ActivateLayer, PrepareLayer with the same parents) for the snapshotter's Diff and
// Remove, deleting the utility VM's own scratch folder. Given back when the object dies too.
class ScratchLoan {
 public:
  ScratchLoan(lw::LayerApi& api, lw::LayerFs& fs, std::string scratch,
              std::vector<lw::LayerDescriptor> parents, std::filesystem::path vm_folder)
      : api_(api),
        fs_(fs),
        scratch_(std::move(scratch)),
        parents_(std::move(parents)),
        vm_folder_(std::move(vm_folder)) {}
  ScratchLoan(const ScratchLoan&) = delete;
  ScratchLoan& operator=(const ScratchLoan&) = delete;
  ~ScratchLoan() { (void)Return(); }

  core::Status Lend() {
    {
      std::lock_guard lock(PrepareMutex());
      KILN_TRY(Check(api_.UnprepareLayer(scratch_), "UnprepareLayer"));
    }
    lent_ = true;
    KILN_TRY(Check(api_.DeactivateLayer(scratch_), "DeactivateLayer"));
    deactivated_ = true;
    return {};
  }

  core::Status Return() {
    if (!lent_) return {};
    lent_ = false;
    core::Status first = fs_.RemoveTree(vm_folder_);
    lw::HResult hr = lw::kOk;
    std::string step;
    for (int attempt = 1; attempt <= 5; ++attempt) {  // as the snapshotter (hcs-api.md 3.5 D)
      if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (deactivated_) {
        step = "ActivateLayer";
        hr = api_.ActivateLayer(scratch_);
        if (lw::Failed(hr)) {
          if (Retryable(hr)) continue;
          break;
        }
        deactivated_ = false;
      }
      step = "PrepareLayer";
      std::lock_guard lock(PrepareMutex());
      hr = api_.PrepareLayer(scratch_, parents_);
      if (!lw::Failed(hr) || !Retryable(hr)) break;
    }
    auto attached = Check(hr, step + " (giving the scratch back after the utility VM)");
    if (first && !attached) first = attached;
    return first;
  }

 private:
  lw::LayerApi& api_;
  lw::LayerFs& fs_;
  std::string scratch_;
  std::vector<lw::LayerDescriptor> parents_;
  std::filesystem::path vm_folder_;
  bool lent_ = false;
  bool deactivated_ = false;
};

}  // namespace

core::Status HcsExecutor::Preflight(const core::Platform& target) {
  KILN_ASSIGN(Isolation chosen, RunPreflight(host_, target, options_.isolation));
  chosen_ = chosen;
  chosen_for_ = target.ToString();
  return {};
}

std::string HcsExecutor::IsolationChosen() const {
  return chosen_ ? std::string(IsolationName(*chosen_)) : std::string();
}

core::Result<Isolation> HcsExecutor::IsolationFor(const core::Platform& platform) {
  if (chosen_ && platform.ToString() == chosen_for_) return *chosen_;
  // Another stage's platform: the same rule, with what the host says now.
  KILN_ASSIGN(core::WindowsVersion host, host_.HostVersion());
  std::optional<core::WindowsVersion> image;
  if (!platform.os_version.empty()) image = core::WindowsVersion::Parse(platform.os_version);
  core::Status hyperv;
  const bool process_ok = !image || core::ProcessIsolationCompatible(host, *image);
  if (options_.isolation == Isolation::kHyperV ||
      (options_.isolation == Isolation::kAuto && !process_ok))
    hyperv = host_.CheckHyperV();
  return ChooseIsolation(host, hyperv, image, options_.isolation);
}

core::Result<std::vector<HcsLayer>> HcsExecutor::Layers(const RunSpec& spec) {
  std::vector<HcsLayer> layers;
  for (const auto& folder : spec.layer_folders) {
    // The same Id the snapshotter used for this folder (NameToGuid of its name).
    std::string name = lw::PathToUtf8(lw::PathFromUtf8(folder).filename());
    lw::Guid id;
    lw::HResult hr = layers_.NameToGuid(name, &id);
    if (lw::Failed(hr)) return Fail(lw::HcsError("NameToGuid(" + name + ")", hr));
    layers.push_back({id.ToString(), folder});
  }
  return layers;
}

core::Result<ExitStatus> HcsExecutor::Run(const RunSpec& spec) {
  KILN_ASSIGN(Isolation isolation, IsolationFor(spec.platform));
  if (isolation == Isolation::kHyperV) return RunHyperVIsolated(spec);
  return RunProcessIsolated(spec);
}

core::Result<ExitStatus> HcsExecutor::RunProcessIsolated(const RunSpec& spec) {
  KILN_ASSIGN(auto layers, Layers(spec));
  KILN_ASSIGN(std::string system_doc, ComputeSystemDocument(spec, layers, options_.owner));
  KILN_ASSIGN(std::string process_doc, ProcessParametersDocument(spec));
  KILN_TRY(core::CheckCancelled());
  const HcsTimeouts& t = options_.timeouts;

  KILN_ASSIGN(HcsSystem system, HcsSystem::Create(compute_, spec.id, system_doc, t));
  KILN_TRY(system.Start());
  KILN_ASSIGN(ExitStatus result, RunProcess(system, process_doc, spec));
  KILN_TRY(system.Stop());
  system.Close();
  return result;
}

core::Result<ExitStatus> HcsExecutor::RunProcess(HcsSystem& system,
                                                 const std::string& process_doc,
                                                 const RunSpec& spec) {
  const HcsTimeouts& t = options_.timeouts;
  KILN_ASSIGN(HcsProcess process, HcsProcess::Create(compute_, system.get(), process_doc, t));
  StdioPump pump(compute_, process.TakeStdout(), process.TakeStderr(), spec.on_stdout,
                 spec.on_stderr);

  ExitStatus result;
  const auto deadline =
      spec.timeout.count() > 0 ? Clock::now() + spec.timeout : Clock::time_point::max();
  std::optional<ProcessStatus> status;
  while (!status) {
    if (core::CancelRequested()) {
      KILN_TRY(process.Terminate());
      return Fail(ErrorCode::kCancelled, "interrupted");  // handles unwind
    }
    if (Clock::now() >= deadline) {
      KILN_TRY(process.Terminate());
      result.timed_out = true;
    }
    KILN_ASSIGN(status, process.WaitForExit(result.timed_out ? t.terminate : t.poll));
    if (!status && result.timed_out)
      return Fail(ErrorCode::kRuntime, "the RUN command did not stop after terminate");
  }
  result.exit_code = static_cast<int>(status->exit_code);
  pump.Finish(t.drain_after_exit);
  process.Close();
  return result;
}

core::Result<ExitStatus> HcsExecutor::RunHyperVIsolated(const RunSpec& spec) {
  if (!fs_) return Fail(ErrorCode::kInternal, "Hyper-V isolation needs the layer file system");
  if (spec.scratch_folder.empty())
    return Fail(ErrorCode::kInternal, "RUN spec has no scratch folder (Hyper-V isolation)");
  KILN_ASSIGN(auto layers, Layers(spec));
  KILN_ASSIGN(std::filesystem::path uvm, LocateUtilityVm(*fs_, spec.layer_folders));
  const std::filesystem::path scratch = lw::PathFromUtf8(spec.scratch_folder);
  // hcsshim: the utility VM's scratch is a copy of SystemTemplate.vhdx in <scratch>\vm
  // (internal/layers/wcow_parse.go:234-245, internal/wcow/scratch.go:16-27).
  const std::filesystem::path vm_folder = scratch / "vm";
  const std::filesystem::path vm_scratch = vm_folder / "sandbox.vhdx";
  const std::filesystem::path container_scratch = scratch / "sandbox.vhdx";
  const std::filesystem::path vm_template = uvm / "SystemTemplate.vhdx";
  KILN_ASSIGN(auto template_attrs, fs_->Attributes(vm_template));
  if (!template_attrs)
    return Fail(ErrorCode::kUnsupported,
                "the base image's UtilityVM has no SystemTemplate.vhdx (ProcessUtilityImage did "
                "not run on it): " + lw::PathToUtf8(vm_template));

  UtilityVmSize size = options_.utility_vm;
  uint32_t host_processors =
      options_.host_processors ? options_.host_processors : std::thread::hardware_concurrency();
  if (host_processors > 0) size.processors = std::min(size.processors, host_processors);
  KILN_ASSIGN(UtilityVmPlan plan,
              PlanUtilityVm(spec, layers, lw::PathToUtf8(uvm / "Files"),
                            lw::PathToUtf8(vm_scratch), lw::PathToUtf8(container_scratch), size));
  // runhcs names a utility VM after its container (cmd/runhcs/vm.go:25).
  const std::string vm_id = spec.id + "@vm";
  const std::string vm_doc = UtilityVmDocument(plan, options_.owner);
  KILN_ASSIGN(std::string container_doc,
              HostedContainerDocument(spec, plan, vm_id, options_.owner));
  KILN_ASSIGN(std::string process_doc, ProcessParametersDocument(spec));
  std::vector<lw::LayerDescriptor> parents;
  for (const auto& layer : layers) {
    lw::LayerDescriptor d;
    d.path = layer.path;
    std::string name = lw::PathToUtf8(lw::PathFromUtf8(layer.path).filename());
    KILN_TRY(Check(layers_.NameToGuid(name, &d.id), "NameToGuid(" + name + ")"));
    parents.push_back(std::move(d));
  }
  KILN_TRY(core::CheckCancelled());
  const HcsTimeouts& t = options_.timeouts;

  // Declared before the systems: given back after both are closed, whatever happens.
  ScratchLoan loan(layers_, *fs_, spec.scratch_folder, parents, vm_folder);
  KILN_TRY(loan.Lend());
  KILN_TRY(fs_->MakeDirectory(vm_folder));
  KILN_TRY(CopyFile(*fs_, vm_template, vm_scratch));
  // Every VHD the VM opens (create_wcow.go:597, uvm/scsi/manager.go:153-156).
  KILN_TRY(Check(layers_.GrantVmAccess(vm_id, lw::PathToUtf8(vm_scratch)), "GrantVmAccess"));
  KILN_TRY(
      Check(layers_.GrantVmAccess(vm_id, lw::PathToUtf8(container_scratch)), "GrantVmAccess"));

  KILN_ASSIGN(HcsSystem vm, HcsSystem::Create(compute_, vm_id, vm_doc, t, "utility VM"));
  KILN_TRY(vm.Start());
  KILN_TRY(vm.Modify(MountScratchRequest(), "mounting the scratch disk in the utility VM"));
  KILN_TRY(vm.Modify(CombineLayersRequest(plan), "combining the layers in the utility VM"));
  KILN_ASSIGN(HcsSystem container, HcsSystem::Create(compute_, spec.id, container_doc, t));
  KILN_TRY(container.Start());
  KILN_ASSIGN(ExitStatus result, RunProcess(container, process_doc, spec));
  // The guest's mounts and combined layers go with the VM (hcsshim releases them one by one,
  // wcow_mount.go:377-402, because its VM outlives the container; kiln's does not).
  KILN_TRY(container.Stop());
  container.Close();
  KILN_TRY(vm.Stop());
  vm.Close();
  KILN_TRY(loan.Return());
  return result;
}

}  // namespace kiln::builder::windows
