// Recording fake of computecore.dll (HCS cannot run here). It follows the asynchronous model
// (a call submits, its operation's wait reports), keeps the documented life cycle of compute
// systems, processes and operations and refuses what Windows refuses (see "Rules" below), parses
// the JSON documents it is given, counts every handle so tests can check that all were released,
// scripts the process (output chunks, exit code, hanging, exit before the callback) and fails any
// call or operation on demand. Thread-safe: stdio is read on threads.
//
// Rules, from Microsoft's HCS reference (learn.microsoft.com/virtualization/api/hcs/reference/,
// summarised with sources in ../shared/docs/hcs-api.md 1.2-1.6):
//  - A handle that was never returned, or was closed, is refused: calls return E_HANDLE; a Close*
//    of one is recorded in violations() (the real DLL may crash, hcs-api.md 1.2).
//  - HcsWaitForOperationResult on an operation never handed to a function returns
//    HCS_E_OPERATION_NOT_STARTED (hcswaitforoperationresult); ...AndProcessInfo on an operation
//    that does not track HcsCreateProcess returns E_INVALIDARG
//    (hcswaitforoperationresultandprocessinfo). An operation tracks one call.
//  - HcsCreateComputeSystem: the configuration is a ComputeSystem document with exactly one of
//    Container, VirtualMachine, HostedSystem (hcscreatecomputesystem), else the operation fails
//    with HCS_E_INVALID_JSON; an id already in use fails with HCS_E_SYSTEM_ALREADY_EXISTS
//    (hcshresult). Storage.Path must be a volume path and each layer needs an Id and a Path
//    (SchemaReference "Layer", "Storage").
//  - A system is created, then started (HcsStartComputeSystem), then shut down or terminated.
//    Starting twice, or creating a process in a system that is not running, fails the
//    operation with HCS_E_INVALID_STATE; stopping a stopped system with
//    HCS_E_SYSTEM_ALREADY_STOPPED (hcshresult).
//  - Hyper-V isolation (hcsshim's documents, see docs/windows.md): a VirtualMachine document must
//    boot by UEFI from a VmbFs path under a VSMB share named "os", size memory (even MB) and
//    processors, and list SCSI attachments {Type VirtualDisk, Path}. Starting the VM opens its
//    disks: a disk the host still has attached (ActivateLayer) fails the start with a sharing
//    violation, a disk not granted to the VM (GrantVmAccess) with access denied. Guest requests
//    (HcsModifyComputeSystem, VM running): MappedVirtualDisk mounts an attached LUN at a guest
//    path; CombinedLayers needs a mounted ContainerRootPath and layers on the VM's shares. A
//    HostedSystem document needs HostingSystemId naming a running VM, Storage.Path a combined
//    root, layers on the VM's shares. A VM that stops takes its hosted containers with it.
//    Commands run in a hosted container are recorded under the host path of its scratch disk.
//  - HcsGetProcessInfo: its operation is waited for with ...AndProcessInfo (as HcsCreateProcess's,
//    hcswaitforoperationresultandprocessinfo); for a process that never started it fails with
//    HCS_E_INVALID_STATE (the fake's assumption; hcsshim then reports the create error).
//  - HcsCreateProcess takes a ProcessParameters document (a JSON object with a CommandLine);
//    anything else fails with HCS_E_INVALID_JSON. Terminating a process that has exited fails
//    with HCS_E_PROCESS_ALREADY_STOPPED (hcsterminateprocess, hcshresult).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "builder/windows/compute_api.h"

namespace kiln::testing {

namespace bw = kiln::builder::windows;
namespace lwin = kiln::layers::windows;

class FakeComputeApi : public bw::ComputeApi {
 public:
  static constexpr lwin::HResult kInvalidHandle = lwin::HResultFromWin32(6);  // E_HANDLE
  static constexpr lwin::HResult kInvalidArg = lwin::HResultOf(0x80070057);   // E_INVALIDARG

  enum class SystemState { kNotCreated, kCreated, kRunning, kStopped };

  explicit FakeComputeApi(std::vector<std::string>* shared_log = nullptr)
      : log_(shared_log ? *shared_log : own_log_) {}
  ~FakeComputeApi() override {
    for (auto& t : threads_) t.join();
  }

  // --- script ---
  std::vector<std::pair<bool, std::string>> output;  // (is_stderr, chunk) in order
  uint32_t exit_code = 0;
  bool has_wait_for_process_exit = true;
  bool process_hangs = false;              // runs until HcsTerminateProcess
  bool exits_before_callback = false;      // callback path: the exit happened before registration
  bool pipes_stay_open = false;            // reads block after the output until cancelled
  std::function<void()> on_process_start;  // runs inside HcsCreateProcess
  // HcsCreateProcess starts the process but its operation completes with this HRESULT (hcsshim
  // internal/hcs/v2/system.go:777-783: seen on WS2022); 0 = no such failure.
  lwin::HResult create_process_wait_fails = 0;
  // Hyper-V: whether the host holds `vhd` attached (ActivateLayer), whether `vm_id` may open
  // `path` (GrantVmAccess), whether a host path exists. Unset = yes, yes, yes.
  std::function<bool(const std::string& vhd)> attached_on_host;
  std::function<bool(const std::string& vm_id, const std::string& path)> may_open;
  std::function<bool(const std::string& path)> exists;
  // The call returns `hr` synchronously.
  void FailCall(const std::string& call, lwin::HResult hr) { fail_call_[call] = hr; }
  // The call is accepted; its operation completes with `hr` and `document`.
  void FailOperation(const std::string& call, lwin::HResult hr, std::string document = "") {
    fail_op_[call] = {hr, std::move(document)};
  }

  // The `nth` call named `call` (0 = the first) is accepted; its operation completes with `hr`.
  void FailOperationAt(const std::string& call, int nth, lwin::HResult hr, std::string document = "") {
    fail_nth_[{call, nth}] = {hr, std::move(document)};
  }
  // The `nth` call named `call` returns `hr` synchronously.
  void FailCallAt(const std::string& call, int nth, lwin::HResult hr) {
    fail_nth_call_[{call, nth}] = hr;
  }

  // --- observations ---
  std::vector<std::string> log() {
    std::lock_guard lock(mu_);
    return log_;
  }
  std::string system_document, process_parameters;  // the last ones received, as sent
  std::vector<std::string> system_documents, modify_requests;  // all, in order
  // Command lines of the processes that ran in the last container created on a scratch volume
  // (the document's Container.Storage.Path without a trailing backslash), in order.
  std::vector<std::string> CommandsOn(std::string volume) {
    std::lock_guard l(mu_);
    if (volume.ends_with('\\')) volume.pop_back();
    auto it = commands_by_volume_.find(volume);
    return it == commands_by_volume_.end() ? std::vector<std::string>{} : it->second;
  }
  // Close* calls on handles that were not open (Windows may crash there instead).
  std::vector<std::string> violations() {
    std::lock_guard l(mu_);
    return violations_;
  }
  SystemState state(bw::SystemHandle system) {
    std::lock_guard l(mu_);
    auto it = systems_.find(uintptr_t(system));
    return it == systems_.end() ? SystemState::kNotCreated : it->second.state;
  }
  int open_operations() {
    std::lock_guard l(mu_);
    return int(ops_.size());
  }
  int open_systems() {
    std::lock_guard l(mu_);
    return int(systems_.size());
  }
  int open_processes() {
    std::lock_guard l(mu_);
    return int(processes_.size());
  }
  int open_pipes() {
    std::lock_guard l(mu_);
    return int(pipes_.size());
  }
  int exit_waits() {
    std::lock_guard l(mu_);
    return exit_waits_;
  }
  int cancelled_pipes() {
    std::lock_guard l(mu_);
    return int(cancelled_.size());
  }

  // --- ComputeApi: operations ---
  bw::OperationHandle CreateOperation() override {
    std::lock_guard lock(mu_);
    uintptr_t id = next_++;
    ops_[id] = {};
    return bw::OperationHandle(id);
  }
  void CloseOperation(bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    if (!ops_.erase(uintptr_t(op))) violations_.push_back("HcsCloseOperation of a closed handle");
  }
  bw::OperationResult WaitForOperationResult(bw::OperationHandle op, uint32_t) override {
    std::lock_guard lock(mu_);
    auto it = ops_.find(uintptr_t(op));
    if (it == ops_.end()) return {kInvalidHandle, ""};
    if (!it->second.submitted) return {lwin::kHcsOperationNotStarted, ""};
    return {it->second.hr, it->second.document};
  }
  bw::OperationResult GetOperationResult(bw::OperationHandle op) override {
    return WaitForOperationResult(op, 0);
  }
  bw::OperationResult WaitForOperationResultAndProcessInfo(bw::OperationHandle op, uint32_t ms,
                                                           bw::ProcessInfo* info) override {
    {
      std::lock_guard lock(mu_);
      auto it = ops_.find(uintptr_t(op));
      if (it != ops_.end() && it->second.submitted && it->second.call != "HcsCreateProcess" &&
          it->second.call != "HcsGetProcessInfo")
        return {kInvalidArg, ""};
    }
    auto r = WaitForOperationResult(op, ms);
    std::lock_guard lock(mu_);
    if (r.hr == 0) {
      info->process_id = 4242;
      info->std_output = bw::PipeHandle(101);
      info->std_error = bw::PipeHandle(102);
      pipes_.insert(101);
      pipes_.insert(102);
    }
    return r;
  }
  lwin::HResult CancelOperation(bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    log_.push_back("HcsCancelOperation");
    return ops_.contains(uintptr_t(op)) ? 0 : kInvalidHandle;
  }

  // --- ComputeApi: compute systems ---
  lwin::HResult CreateComputeSystem(const std::string& id, const std::string& configuration,
                                    bw::OperationHandle op, bw::SystemHandle* system) override {
    std::lock_guard lock(mu_);
    system_document = configuration;
    system_documents.push_back(configuration);
    lwin::HResult hr = Submit("HcsCreateComputeSystem", op, " " + id);
    if (lwin::Failed(hr)) return hr;
    System parsed;
    std::string invalid = CheckSystemDocument(configuration, &parsed);
    bool taken = std::any_of(systems_.begin(), systems_.end(),
                             [&](const auto& s) { return s.second.id == id; });
    *system = bw::SystemHandle(next_++);
    System& s = systems_[uintptr_t(*system)];
    s = std::move(parsed);
    s.id = id;
    s.state = SystemState::kNotCreated;
    if (!invalid.empty())
      Complete(op, lwin::kHcsInvalidJson, invalid);
    else if (taken)
      Complete(op, lwin::kHcsSystemAlreadyExists, "a compute system " + id + " exists");
    else if (!OpFailed(op))
      s.state = SystemState::kCreated;
    if (s.state == SystemState::kCreated && s.kind != Kind::kVm)
      commands_by_volume_[s.volume].clear();  // a new container
    return 0;
  }
  lwin::HResult StartComputeSystem(bw::SystemHandle system, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    auto it = systems_.find(uintptr_t(system));
    if (it != systems_.end() && it->second.state == SystemState::kCreated) {
      std::string why;
      lwin::HResult refused = StartRefusal(it->second, &why);
      if (lwin::Failed(refused)) {
        lwin::HResult hr = Submit("HcsStartComputeSystem", op);
        if (lwin::Failed(hr) || OpFailed(op)) return hr;
        Complete(op, refused, why);
        return 0;
      }
    }
    return Transition("HcsStartComputeSystem", system, op, {SystemState::kCreated},
                      lwin::kHcsInvalidState, SystemState::kRunning);
  }
  lwin::HResult ModifyComputeSystem(bw::SystemHandle system, const std::string& configuration,
                                    bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    modify_requests.push_back(configuration);
    auto it = systems_.find(uintptr_t(system));
    if (it == systems_.end()) return Refuse("HcsModifyComputeSystem");
    auto j = nlohmann::json::parse(configuration, nullptr, false);
    std::string type;
    if (j.is_object() && j.contains("GuestRequest") && j["GuestRequest"].is_object() &&
        j["GuestRequest"].value("ResourceType", "").size())
      type = j["GuestRequest"]["ResourceType"].get<std::string>();
    lwin::HResult hr = Submit("HcsModifyComputeSystem", op, type.empty() ? "" : " " + type);
    if (lwin::Failed(hr) || OpFailed(op)) return hr;
    System& vm = it->second;
    if (vm.kind != Kind::kVm || vm.state != SystemState::kRunning) {
      Complete(op, lwin::kHcsInvalidState, "guest requests need a running utility VM");
      return 0;
    }
    std::string invalid = ApplyGuestRequest(vm, j);
    if (!invalid.empty()) Complete(op, lwin::kHcsInvalidJson, invalid);
    return 0;
  }
  lwin::HResult ShutDownComputeSystem(bw::SystemHandle system, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    return Transition("HcsShutDownComputeSystem", system, op,
                      {SystemState::kCreated, SystemState::kRunning},
                      lwin::kHcsSystemAlreadyStopped, SystemState::kStopped);
  }
  lwin::HResult TerminateComputeSystem(bw::SystemHandle system, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    return Transition("HcsTerminateComputeSystem", system, op,
                      {SystemState::kNotCreated, SystemState::kCreated, SystemState::kRunning},
                      lwin::kHcsSystemAlreadyStopped, SystemState::kStopped);
  }
  void CloseComputeSystem(bw::SystemHandle system) override {
    std::lock_guard lock(mu_);
    log_.push_back("HcsCloseComputeSystem");
    if (!systems_.erase(uintptr_t(system)))
      violations_.push_back("HcsCloseComputeSystem of a closed handle");
  }

  // --- ComputeApi: processes ---
  lwin::HResult CreateSystemProcess(bw::SystemHandle system, const std::string& parameters,
                                    bw::OperationHandle op, bw::ProcessHandle* process) override {
    process_parameters = parameters;
    if (on_process_start) on_process_start();
    std::lock_guard lock(mu_);
    if (!systems_.contains(uintptr_t(system))) return Refuse("HcsCreateProcess");
    lwin::HResult hr = Submit("HcsCreateProcess", op);
    if (lwin::Failed(hr)) return hr;
    *process = bw::ProcessHandle(next_++);
    processes_[uintptr_t(*process)] = {};
    System& s = systems_.at(uintptr_t(system));
    std::string command_line;
    if (std::string invalid = CheckProcessParameters(parameters, &command_line); !invalid.empty())
      Complete(op, lwin::kHcsInvalidJson, invalid);
    else if (s.state != SystemState::kRunning)
      Complete(op, lwin::kHcsInvalidState, "the compute system " + s.id + " is not running");
    if (OpFailed(op)) {
      processes_[uintptr_t(*process)].exited = true;  // never started
      return 0;
    }
    commands_by_volume_[s.volume].push_back(command_line);
    if (create_process_wait_fails) {  // started, but the operation says otherwise
      auto& o = ops_.at(uintptr_t(op));
      o.hr = create_process_wait_fails;
      o.document = nlohmann::json{{"Error", o.hr}, {"ErrorMessage", "spurious"}}.dump();
      log_.back() += " => " + lwin::HResultHex(o.hr) + " (process running)";
    }
    return 0;
  }
  lwin::HResult GetProcessProperties(bw::ProcessHandle process, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    if (!processes_.contains(uintptr_t(process))) return Refuse("HcsGetProcessProperties");
    lwin::HResult hr = Submit("HcsGetProcessProperties", op);
    if (lwin::Failed(hr)) return hr;
    auto& o = ops_.at(uintptr_t(op));
    if (o.hr == 0) o.document = StatusJson(exits_before_callback || terminated_);
    return hr;
  }
  lwin::HResult GetProcessInfo(bw::ProcessHandle process, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    auto it = processes_.find(uintptr_t(process));
    if (it == processes_.end()) return Refuse("HcsGetProcessInfo");
    lwin::HResult hr = Submit("HcsGetProcessInfo", op);
    if (lwin::Failed(hr) || OpFailed(op)) return hr;
    if (it->second.exited) Complete(op, lwin::kHcsInvalidState, "the process never started");
    return 0;
  }
  lwin::HResult SetProcessCallback(bw::ProcessHandle process, bw::EventSink* sink) override {
    std::lock_guard lock(mu_);
    if (!processes_.contains(uintptr_t(process))) return Refuse("HcsSetProcessCallback");
    lwin::HResult hr = Submit("HcsSetProcessCallback", bw::OperationHandle::kNone);
    if (lwin::Failed(hr) || exits_before_callback) return hr;
    sink_ = sink;
    if (!process_hangs)
      threads_.emplace_back([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        Fire();
      });
    return hr;
  }
  bool HasWaitForProcessExit() override { return has_wait_for_process_exit; }
  bw::OperationResult WaitForProcessExit(bw::ProcessHandle process, uint32_t ms) override {
    {
      std::lock_guard lock(mu_);
      if (!processes_.contains(uintptr_t(process)))
        return {Refuse("HcsWaitForProcessExit"), ""};
      if (process_hangs && !terminated_) {
        ++exit_waits_;
      } else {
        log_.push_back("HcsWaitForProcessExit");
        if (auto it = fail_call_.find("HcsWaitForProcessExit"); it != fail_call_.end())
          return {it->second, ""};
        processes_[uintptr_t(process)].exited = true;
        return {0, StatusJson(true)};
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<uint32_t>(ms, 5)));
    return {lwin::kHcsOperationTimeout, ""};
  }
  lwin::HResult TerminateProcess(bw::ProcessHandle process, bw::OperationHandle op) override {
    {
      std::lock_guard lock(mu_);
      auto it = processes_.find(uintptr_t(process));
      if (it == processes_.end()) return Refuse("HcsTerminateProcess");
      lwin::HResult hr = Submit("HcsTerminateProcess", op);
      if (lwin::Failed(hr)) return hr;
      // A process that is not hanging has run to its end by now.
      bool gone = it->second.exited || !process_hangs || terminated_;
      if (gone && !OpFailed(op))
        Complete(op, lwin::kHcsProcessAlreadyStopped, "the process has exited");
      if (OpFailed(op)) return 0;
      terminated_ = true;
    }
    if (!has_wait_for_process_exit && sink_) Fire();
    return 0;
  }
  void CloseProcess(bw::ProcessHandle process) override {
    std::lock_guard lock(mu_);
    log_.push_back("HcsCloseProcess");
    if (!processes_.erase(uintptr_t(process)))
      violations_.push_back("HcsCloseProcess of a closed handle");
    sink_ = nullptr;
  }

  // --- stdio ---
  core::Result<size_t> ReadPipe(bw::PipeHandle pipe, void* buffer, size_t size) override {
    std::unique_lock lock(mu_);
    if (!pipes_.contains(uintptr_t(pipe)))
      return core::Fail(core::ErrorCode::kInternal, "ReadFile on a closed pipe handle");
    bool is_err = uintptr_t(pipe) == 102;
    size_t& next = is_err ? next_err_ : next_out_;
    while (next < output.size() && output[next].first != is_err) ++next;
    if (next < output.size()) {
      const std::string& chunk = output[next++].second;
      size_t n = std::min(size, chunk.size());
      std::memcpy(buffer, chunk.data(), n);
      return n;
    }
    if (pipes_stay_open)
      cancel_cv_.wait(lock, [&] { return cancelled_.contains(uintptr_t(pipe)); });
    return size_t{0};
  }
  void CancelPipeRead(bw::PipeHandle pipe) override {
    std::lock_guard lock(mu_);
    cancelled_.insert(uintptr_t(pipe));
    cancel_cv_.notify_all();
  }
  void ClosePipe(bw::PipeHandle pipe) override {
    std::lock_guard lock(mu_);
    log_.push_back(uintptr_t(pipe) == 101 ? "ClosePipe stdout" : "ClosePipe stderr");
    if (!pipes_.erase(uintptr_t(pipe))) violations_.push_back("CloseHandle of a closed pipe");
  }

 private:
  struct Op {
    std::string call;
    bool submitted = false;
    lwin::HResult hr = 0;
    std::string document;
  };
  enum class Kind { kContainer, kVm, kHosted };
  struct System {
    std::string id, volume;
    SystemState state = SystemState::kNotCreated;
    Kind kind = Kind::kContainer;
    std::string hosting;                      // hosted: the VM's id
    std::map<std::string, std::string> shares;  // VM: name -> host path
    std::map<int, std::string> disks;           // VM: SCSI LUN -> host path
    std::map<std::string, int> mounts;          // VM: guest path -> LUN
    std::set<std::string> combined;             // VM: guest roots with combined layers
  };

  struct Process {
    bool exited = false;
  };

  static constexpr std::string_view kShares =
      "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";

  // Why `doc` is not a ComputeSystem document kiln may send ("" when it is); fills `out`:
  // Container.Storage.Path without the trailing backslash, or the VM's devices, or for a hosted
  // container the host path of its scratch disk.
  std::string CheckSystemDocument(const std::string& doc, System* out) {
    auto j = nlohmann::json::parse(doc, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "the configuration is not a JSON object";
    int kinds = int(j.contains("Container")) + int(j.contains("VirtualMachine")) +
                int(j.contains("HostedSystem"));
    if (kinds != 1) return "exactly one of Container, VirtualMachine, HostedSystem is expected";
    if (j.contains("VirtualMachine")) return CheckVm(j["VirtualMachine"], out);
    if (j.contains("HostedSystem")) return CheckHosted(j, out);
    const auto& c = j["Container"];
    if (!c.is_object() || !c.contains("Storage") || !c["Storage"].is_object())
      return "Container.Storage is missing";
    const auto& storage = c["Storage"];
    if (!storage.contains("Path") || !storage["Path"].is_string() ||
        !storage["Path"].get<std::string>().starts_with("\\\\?\\Volume{"))
      return "Container.Storage.Path is not a volume path";
    if (std::string bad = CheckLayers(storage, nullptr); !bad.empty()) return bad;
    out->volume = storage["Path"].get<std::string>();
    if (out->volume.ends_with('\\')) out->volume.pop_back();
    return "";
  }

  // Layers present, each with Id and Path; with `vm`, each Path on one of its shares.
  static std::string CheckLayers(const nlohmann::json& storage, const System* vm) {
    if (!storage.contains("Layers") || !storage["Layers"].is_array() || storage["Layers"].empty())
      return "Storage.Layers is missing";
    for (const auto& l : storage["Layers"]) {
      if (!l.is_object() || !l.contains("Id") || !l["Id"].is_string() || !l.contains("Path") ||
          !l["Path"].is_string())
        return "a layer without Id or Path";
      if (vm && !OnShare(*vm, l["Path"].get<std::string>()))
        return "layer " + l["Path"].get<std::string>() + " is not on a VSMB share of the VM";
    }
    return "";
  }

  static bool OnShare(const System& vm, const std::string& guest_path) {
    if (!guest_path.starts_with(kShares)) return false;
    return vm.shares.contains(guest_path.substr(kShares.size()));
  }

  std::string CheckVm(const nlohmann::json& vm, System* out) {
    out->kind = Kind::kVm;
    if (!vm.is_object()) return "VirtualMachine is not an object";
    auto shares = vm.value("/Devices/VirtualSmb/Shares"_json_pointer, nlohmann::json::array());
    for (const auto& share : shares) {
      if (!share.is_object() || !share.value("Name", "").size() || !share.value("Path", "").size())
        return "a VSMB share without Name or Path";
      std::string path = share["Path"];
      if (exists && !exists(path)) return "VSMB share path " + path + " does not exist";
      out->shares[share["Name"]] = path;
    }
    auto boot = vm.value("/Chipset/Uefi/BootThis"_json_pointer, nlohmann::json::object());
    if (boot.value("DeviceType", "") != "VmbFs" || !out->shares.contains("os"))
      return "the VM does not boot from VmbFs (an \"os\" share)";
    std::string boot_file = out->shares["os"] + boot.value("DevicePath", "");
    std::replace(boot_file.begin(), boot_file.end(), '\\', '/');
    if (exists && !exists(boot_file)) return "the boot file " + boot_file + " does not exist";
    auto memory = vm.value("/ComputeTopology/Memory/SizeInMB"_json_pointer, 0ull);
    auto processors = vm.value("/ComputeTopology/Processor/Count"_json_pointer, 0u);
    if (memory == 0 || memory % 2 || processors == 0) return "the VM has no memory or processors";
    auto scsi = vm.value("/Devices/Scsi"_json_pointer, nlohmann::json::object());
    for (const auto& [controller, c] : scsi.items()) {
      const auto attachments = c.value("Attachments", nlohmann::json::object());
      for (const auto& [lun, a] : attachments.items()) {
        if (a.value("Type", "") != "VirtualDisk" || !a.value("Path", "").size())
          return "SCSI attachment " + lun + " is not a virtual disk with a path";
        out->disks[std::stoi(lun)] = a["Path"];
      }
    }
    if (!out->disks.contains(0)) return "the VM has no scratch disk on SCSI LUN 0";
    return "";
  }

  std::string CheckHosted(const nlohmann::json& j, System* out) {
    out->kind = Kind::kHosted;
    out->hosting = j.value("HostingSystemId", "");
    auto vm = std::find_if(systems_.begin(), systems_.end(), [&](const auto& s) {
      return s.second.kind == Kind::kVm && s.second.id == out->hosting;
    });
    if (vm == systems_.end() || vm->second.state != SystemState::kRunning)
      return "HostingSystemId does not name a running utility VM";
    const auto& c = j.value("/HostedSystem/Container"_json_pointer, nlohmann::json::object());
    if (!c.contains("Storage")) return "HostedSystem.Container.Storage is missing";
    const auto& storage = c["Storage"];
    std::string root = storage.value("Path", "");
    if (!vm->second.combined.contains(root))
      return "Storage.Path " + root + " has no combined layers in the VM";
    if (std::string bad = CheckLayers(storage, &vm->second); !bad.empty()) return bad;
    const auto mapped = c.value("MappedDirectories", nlohmann::json::array());
    for (const auto& m : mapped)
      if (!OnShare(vm->second, m.value("HostPath", "")))
        return "mapped directory " + m.value("HostPath", "") + " is not on a VSMB share";
    out->volume = vm->second.disks.at(vm->second.mounts.at(root));
    return "";
  }

  // Applies a MappedVirtualDisk or CombinedLayers guest request; "" or why it is refused.
  static std::string ApplyGuestRequest(System& vm, const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("GuestRequest")) return "no GuestRequest";
    const auto& g = j["GuestRequest"];
    const auto& settings = g.value("Settings", nlohmann::json::object());
    if (g.value("RequestType", "") != "Add") return "only Add requests are expected";
    std::string type = g.value("ResourceType", "");
    if (type == "MappedVirtualDisk") {
      int lun = settings.value("Lun", 0);
      std::string path = settings.value("ContainerPath", "");
      if (!vm.disks.contains(lun) || lun == 0) return "no container disk at LUN " + std::to_string(lun);
      if (path.empty() || vm.mounts.contains(path)) return "bad ContainerPath " + path;
      vm.mounts[path] = lun;
      return "";
    }
    if (type == "CombinedLayers") {
      std::string root = settings.value("ContainerRootPath", "");
      if (!vm.mounts.contains(root)) return "ContainerRootPath " + root + " is not mounted";
      if (std::string bad = CheckLayers(settings, &vm); !bad.empty()) return bad;
      vm.combined.insert(root);
      return "";
    }
    return "unknown guest request " + type;
  }

  // Why starting this VM fails (its disks), or 0.
  lwin::HResult StartRefusal(const System& s, std::string* why) {
    if (s.kind == Kind::kHosted) {
      auto vm = std::find_if(systems_.begin(), systems_.end(),
                             [&](const auto& v) { return v.second.id == s.hosting; });
      if (vm == systems_.end() || vm->second.state != SystemState::kRunning) {
        *why = "the utility VM is not running";
        return lwin::kHcsInvalidState;
      }
      return 0;
    }
    if (s.kind != Kind::kVm) return 0;
    for (const auto& [lun, path] : s.disks) {
      if (attached_on_host && attached_on_host(path)) {
        *why = path + " is attached on the host";
        return lwin::kWin32SharingViolation;
      }
      if (may_open && !may_open(s.id, path)) {
        *why = "the VM may not open " + path;
        return lwin::kWin32AccessDenied;
      }
    }
    return 0;
  }

  // Why `doc` is not ProcessParameters with a command line ("" when it is).
  static std::string CheckProcessParameters(const std::string& doc, std::string* command_line) {
    auto j = nlohmann::json::parse(doc, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "the process parameters are not a JSON object";
    if (!j.contains("CommandLine") || !j["CommandLine"].is_string())
      return "CommandLine is missing";
    *command_line = j["CommandLine"].get<std::string>();
    return "";
  }

  std::string StatusJson(bool exited) {
    uint32_t code = terminated_ ? 1 : exit_code;
    return "{\"ProcessId\":4242,\"Exited\":" + std::string(exited ? "true" : "false") +
           ",\"ExitCode\":" + std::to_string(exited ? code : 0) + ",\"LastWaitResult\":0}";
  }

  void Fire() {
    std::lock_guard lock(mu_);
    if (sink_) sink_->OnEvent(bw::kEventProcessExited, StatusJson(true));
  }

  // A call on a handle that is not open: logged and refused.
  lwin::HResult Refuse(const std::string& call) {
    log_.push_back(call + " -> " + lwin::HResultHex(kInvalidHandle));
    return kInvalidHandle;
  }

  bool OpFailed(bw::OperationHandle op) {
    return op != bw::OperationHandle::kNone && lwin::Failed(ops_.at(uintptr_t(op)).hr);
  }

  // Completes `op` with a failure the fake found (not a scripted one).
  void Complete(bw::OperationHandle op, lwin::HResult hr, const std::string& message) {
    auto& o = ops_.at(uintptr_t(op));
    o.hr = hr;
    o.document = nlohmann::json{{"Error", hr}, {"ErrorMessage", message}}.dump();
    log_.back() += " => " + lwin::HResultHex(hr);
  }

  // Logs the call; refuses an operation that is not open or already tracks a call; applies
  // scripted failures. 0 means submitted (the operation then carries the outcome).
  lwin::HResult Submit(const std::string& call, bw::OperationHandle op,
                       const std::string& detail = "") {
    if (op != bw::OperationHandle::kNone &&
        (!ops_.contains(uintptr_t(op)) || ops_.at(uintptr_t(op)).submitted))
      return Refuse(call);
    log_.push_back(call + detail);
    const int nth = calls_[call]++;
    if (auto it = fail_nth_call_.find({call, nth}); it != fail_nth_call_.end()) {
      lwin::HResult hr = it->second;
      log_.back() += " -> " + lwin::HResultHex(hr);
      return hr;
    }
    if (auto it = fail_call_.find(call); it != fail_call_.end()) {
      lwin::HResult hr = it->second;
      fail_call_.erase(it);
      log_.back() += " -> " + lwin::HResultHex(hr);
      return hr;
    }
    if (op != bw::OperationHandle::kNone) {
      auto& o = ops_.at(uintptr_t(op));
      o.call = call;
      o.submitted = true;
      if (auto it = fail_nth_.find({call, nth}); it != fail_nth_.end()) {
        o.hr = it->second.first;
        o.document = it->second.second;
        log_.back() += " => " + lwin::HResultHex(o.hr);
      } else if (auto it = fail_op_.find(call); it != fail_op_.end()) {
        o.hr = it->second.first;
        o.document = it->second.second;
        log_.back() += " => " + lwin::HResultHex(o.hr);
        fail_op_.erase(it);
      }
    }
    return 0;
  }

  // Start/shut down/terminate: the system must be open and in one of `from`; otherwise the
  // operation fails with `wrong_state`. On success it moves to `to`.
  lwin::HResult Transition(const std::string& call, bw::SystemHandle system,
                           bw::OperationHandle op, std::set<SystemState> from,
                           lwin::HResult wrong_state, SystemState to) {
    auto it = systems_.find(uintptr_t(system));
    if (it == systems_.end()) return Refuse(call);
    lwin::HResult hr = Submit(call, op);
    if (lwin::Failed(hr) || OpFailed(op)) return hr;
    if (!from.contains(it->second.state)) {
      Complete(op, wrong_state, call + " in the wrong state");
    } else {
      it->second.state = to;
      if (to == SystemState::kStopped && it->second.kind == Kind::kVm)
        for (auto& [h, hosted] : systems_)
          if (hosted.hosting == it->second.id) hosted.state = SystemState::kStopped;
    }
    return 0;
  }

  std::mutex mu_;
  std::condition_variable cancel_cv_;
  std::vector<std::string> own_log_;
  std::vector<std::string>& log_;
  std::map<std::string, lwin::HResult> fail_call_;
  std::map<std::string, std::pair<lwin::HResult, std::string>> fail_op_;
  std::map<std::pair<std::string, int>, std::pair<lwin::HResult, std::string>> fail_nth_;
  std::map<std::pair<std::string, int>, lwin::HResult> fail_nth_call_;
  std::map<std::string, int> calls_;
  std::map<uintptr_t, Op> ops_;
  std::map<uintptr_t, System> systems_;
  std::map<uintptr_t, Process> processes_;
  std::set<uintptr_t> pipes_, cancelled_;
  std::map<std::string, std::vector<std::string>> commands_by_volume_;
  std::vector<std::string> violations_;
  uintptr_t next_ = 1000;
  size_t next_out_ = 0, next_err_ = 0;
  bool terminated_ = false;
  int exit_waits_ = 0;
  bw::EventSink* sink_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace kiln::testing
