// Recording fake of computecore.dll (HCS cannot run here). It follows the asynchronous model
// (a call submits, its operation's wait reports), counts every handle so tests can check that
// all were released, scripts the process (output chunks, exit code, hanging, exit before the
// callback) and fails any call or operation on demand. Thread-safe: stdio is read on threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
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
  std::string system_document, process_parameters;
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

  // --- ComputeApi ---
  bw::OperationHandle CreateOperation() override {
    std::lock_guard lock(mu_);
    uintptr_t id = next_++;
    ops_[id] = {};
    return bw::OperationHandle(id);
  }
  void CloseOperation(bw::OperationHandle op) override {
    std::lock_guard lock(mu_);
    ops_.erase(uintptr_t(op));
  }
  bw::OperationResult WaitForOperationResult(bw::OperationHandle op, uint32_t) override {
    std::lock_guard lock(mu_);
    auto& o = ops_.at(uintptr_t(op));
    if (!o.submitted) return {lwin::kHcsOperationNotStarted, ""};
    return {o.hr, o.document};
  }
  bw::OperationResult GetOperationResult(bw::OperationHandle op) override {
    return WaitForOperationResult(op, 0);
  }
  bw::OperationResult WaitForOperationResultAndProcessInfo(bw::OperationHandle op, uint32_t ms,
                                                           bw::ProcessInfo* info) override {
    auto r = WaitForOperationResult(op, ms);
    std::lock_guard lock(mu_);
    if (r.hr == 0 && ops_.at(uintptr_t(op)).call == "HcsCreateProcess") {
      info->process_id = 4242;
      info->std_output = bw::PipeHandle(101);
      info->std_error = bw::PipeHandle(102);
      pipes_.insert(101);
      pipes_.insert(102);
    }
    return r;
  }
  lwin::HResult CancelOperation(bw::OperationHandle op) override {
    return Record("HcsCancelOperation", op);
  }
  lwin::HResult CreateComputeSystem(const std::string& id, const std::string& configuration,
                                    bw::OperationHandle op, bw::SystemHandle* system) override {
    system_document = configuration;
    lwin::HResult hr = Record("HcsCreateComputeSystem", op, " " + id);
    if (lwin::Failed(hr)) return hr;
    std::lock_guard lock(mu_);
    *system = bw::SystemHandle(next_++);
    systems_.insert(uintptr_t(*system));
    return 0;
  }
  lwin::HResult StartComputeSystem(bw::SystemHandle, bw::OperationHandle op) override {
    return Record("HcsStartComputeSystem", op);
  }
  lwin::HResult ShutDownComputeSystem(bw::SystemHandle, bw::OperationHandle op) override {
    return Record("HcsShutDownComputeSystem", op);
  }
  lwin::HResult TerminateComputeSystem(bw::SystemHandle, bw::OperationHandle op) override {
    return Record("HcsTerminateComputeSystem", op);
  }
  void CloseComputeSystem(bw::SystemHandle system) override {
    Record("HcsCloseComputeSystem", bw::OperationHandle::kNone);
    std::lock_guard lock(mu_);
    systems_.erase(uintptr_t(system));
  }
  lwin::HResult CreateSystemProcess(bw::SystemHandle, const std::string& parameters,
                                    bw::OperationHandle op, bw::ProcessHandle* process) override {
    process_parameters = parameters;
    if (on_process_start) on_process_start();
    lwin::HResult hr = Record("HcsCreateProcess", op);
    if (lwin::Failed(hr)) return hr;
    std::lock_guard lock(mu_);
    *process = bw::ProcessHandle(next_++);
    processes_.insert(uintptr_t(*process));
    return 0;
  }
  lwin::HResult GetProcessProperties(bw::ProcessHandle, bw::OperationHandle op) override {
    lwin::HResult hr = Record("HcsGetProcessProperties", op);
    std::lock_guard lock(mu_);
    auto& o = ops_.at(uintptr_t(op));
    if (o.hr == 0) o.document = StatusJson(exits_before_callback || terminated_);
    return hr;
  }
  lwin::HResult SetProcessCallback(bw::ProcessHandle, bw::EventSink* sink) override {
    lwin::HResult hr = Record("HcsSetProcessCallback", bw::OperationHandle::kNone);
    if (lwin::Failed(hr) || exits_before_callback) return hr;
    std::lock_guard lock(mu_);
    sink_ = sink;
    if (!process_hangs)
      threads_.emplace_back([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        Fire();
      });
    return hr;
  }
  bool HasWaitForProcessExit() override { return has_wait_for_process_exit; }
  bw::OperationResult WaitForProcessExit(bw::ProcessHandle, uint32_t ms) override {
    {
      std::lock_guard lock(mu_);
      if (process_hangs && !terminated_) {
        ++exit_waits_;
      } else {
        log_.push_back("HcsWaitForProcessExit");
        if (auto it = fail_call_.find("HcsWaitForProcessExit"); it != fail_call_.end())
          return {it->second, ""};
        return {0, StatusJson(true)};
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<uint32_t>(ms, 5)));
    return {lwin::kHcsOperationTimeout, ""};
  }
  lwin::HResult TerminateProcess(bw::ProcessHandle, bw::OperationHandle op) override {
    lwin::HResult hr = Record("HcsTerminateProcess", op);
    if (lwin::Failed(hr)) return hr;
    {
      std::lock_guard lock(mu_);
      terminated_ = true;
    }
    if (!has_wait_for_process_exit && sink_) Fire();
    return hr;
  }
  void CloseProcess(bw::ProcessHandle process) override {
    Record("HcsCloseProcess", bw::OperationHandle::kNone);
    std::lock_guard lock(mu_);
    processes_.erase(uintptr_t(process));
    sink_ = nullptr;
  }
  core::Result<size_t> ReadPipe(bw::PipeHandle pipe, void* buffer, size_t size) override {
    std::unique_lock lock(mu_);
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
    pipes_.erase(uintptr_t(pipe));
  }

  int exit_waits() {
    std::lock_guard l(mu_);
    return exit_waits_;
  }
  int cancelled_pipes() {
    std::lock_guard l(mu_);
    return int(cancelled_.size());
  }

 private:
  struct Op {
    std::string call;
    bool submitted = false;
    lwin::HResult hr = 0;
    std::string document;
  };

  std::string StatusJson(bool exited) {
    uint32_t code = terminated_ ? 1 : exit_code;
    return "{\"ProcessId\":4242,\"Exited\":" + std::string(exited ? "true" : "false") +
           ",\"ExitCode\":" + std::to_string(exited ? code : 0) + ",\"LastWaitResult\":0}";
  }

  void Fire() {
    std::lock_guard lock(mu_);
    if (sink_) sink_->OnEvent(bw::kEventProcessExited, StatusJson(true));
  }

  lwin::HResult Record(const std::string& call, bw::OperationHandle op,
                       const std::string& detail = "") {
    std::lock_guard lock(mu_);
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

  std::mutex mu_;
  std::condition_variable cancel_cv_;
  std::vector<std::string> own_log_;
  std::vector<std::string>& log_;
  std::map<std::string, lwin::HResult> fail_call_;
  std::map<std::string, std::pair<lwin::HResult, std::string>> fail_op_;
  std::map<uintptr_t, Op> ops_;
  std::set<uintptr_t> systems_, processes_, pipes_, cancelled_;
  uintptr_t next_ = 1000;
  size_t next_out_ = 0, next_err_ = 0;
  bool terminated_ = false;
  int exit_waits_ = 0;
  bw::EventSink* sink_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace kiln::testing
