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
  // The call returns `hr` synchronously.
  void FailCall(const std::string& call, lwin::HResult hr) { fail_call_[call] = hr; }
  // The call is accepted; its operation completes with `hr` and `document`.
  void FailOperation(const std::string& call, lwin::HResult hr, std::string document = "") {
    fail_op_[call] = {hr, std::move(document)};
  }

  // --- observations ---
  std::vector<std::string> log() {
    std::lock_guard lock(mu_);
    return log_;
  }
  std::string system_document, process_parameters;  // the last ones received, as sent
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
      if (it != ops_.end() && it->second.submitted && it->second.call != "HcsCreateProcess")
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
    lwin::HResult hr = Submit("HcsCreateComputeSystem", op, " " + id);
    if (lwin::Failed(hr)) return hr;
    std::string volume;
    std::string invalid = CheckSystemDocument(configuration, &volume);
    bool taken = std::any_of(systems_.begin(), systems_.end(),
                             [&](const auto& s) { return s.second.id == id; });
    *system = bw::SystemHandle(next_++);
    System& s = systems_[uintptr_t(*system)];
    s.id = id;
    s.volume = volume;
    if (!invalid.empty())
      Complete(op, lwin::kHcsInvalidJson, invalid);
    else if (taken)
      Complete(op, lwin::kHcsSystemAlreadyExists, "a compute system " + id + " exists");
    else if (!OpFailed(op))
      s.state = SystemState::kCreated;
    if (s.state == SystemState::kCreated) commands_by_volume_[volume].clear();  // a new container
    return 0;
  }
  lwin::HResult StartComputeSystem(bw::SystemHandle system, bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    return Transition("HcsStartComputeSystem", system, op, {SystemState::kCreated},
                      lwin::kHcsInvalidState, SystemState::kRunning);
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
  struct System {
    std::string id, volume;
    SystemState state = SystemState::kNotCreated;
  };
  struct Process {
    bool exited = false;
  };

  // Why `doc` is not a ComputeSystem document for a process-isolated container ("" when it is);
  // sets `volume` to its Container.Storage.Path without the trailing backslash.
  static std::string CheckSystemDocument(const std::string& doc, std::string* volume) {
    auto j = nlohmann::json::parse(doc, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "the configuration is not a JSON object";
    int kinds = int(j.contains("Container")) + int(j.contains("VirtualMachine")) +
                int(j.contains("HostedSystem"));
    if (kinds != 1) return "exactly one of Container, VirtualMachine, HostedSystem is expected";
    const auto& c = j["Container"];
    if (!c.is_object() || !c.contains("Storage") || !c["Storage"].is_object())
      return "Container.Storage is missing";
    const auto& storage = c["Storage"];
    if (!storage.contains("Path") || !storage["Path"].is_string() ||
        !storage["Path"].get<std::string>().starts_with("\\\\?\\Volume{"))
      return "Container.Storage.Path is not a volume path";
    if (!storage.contains("Layers") || !storage["Layers"].is_array())
      return "Container.Storage.Layers is missing";
    for (const auto& l : storage["Layers"])
      if (!l.is_object() || !l.contains("Id") || !l["Id"].is_string() || !l.contains("Path") ||
          !l["Path"].is_string())
        return "a layer without Id or Path";
    *volume = storage["Path"].get<std::string>();
    if (volume->ends_with('\\')) volume->pop_back();
    return "";
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
      if (auto it = fail_op_.find(call); it != fail_op_.end()) {
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
    if (!from.contains(it->second.state))
      Complete(op, wrong_state, call + " in the wrong state");
    else
      it->second.state = to;
    return 0;
  }

  std::mutex mu_;
  std::condition_variable cancel_cv_;
  std::vector<std::string> own_log_;
  std::vector<std::string>& log_;
  std::map<std::string, lwin::HResult> fail_call_;
  std::map<std::string, std::pair<lwin::HResult, std::string>> fail_op_;
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
