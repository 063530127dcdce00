#include "builder/windows/hcs_process.h"

#include <condition_variable>
#include <mutex>

#include "builder/windows/hcs_operation.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;

// Receives ProcessExited (and ServiceDisconnect) on an HCS thread.
class HcsProcess::ExitWatcher : public EventSink {
 public:
  void OnEvent(uint32_t type, std::string_view data) override {
    std::lock_guard lock(mu_);
    if (type == kEventProcessExited) exit_document_ = std::string(data);
    if (type == kEventServiceDisconnect) disconnected_ = true;
    cv_.notify_all();
  }
  // The ProcessExited document, nullopt on timeout; fails when HCS went away.
  core::Result<std::optional<std::string>> Wait(std::chrono::milliseconds slice) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, slice, [&] { return exit_document_ || disconnected_; });
    if (disconnected_)
      return core::Fail(core::ErrorCode::kRuntime, "lost communication with compute service");
    return exit_document_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> exit_document_;
  bool disconnected_ = false;
};

HcsProcess::HcsProcess(ComputeApi& api, ProcessHandle handle, const HcsTimeouts& timeouts)
    : api_(&api), handle_(handle), timeouts_(timeouts) {}

HcsProcess::HcsProcess(HcsProcess&& other) noexcept
    : api_(other.api_),
      handle_(other.handle_),
      timeouts_(other.timeouts_),
      info_(other.info_),
      exited_(other.exited_),
      early_exit_(other.early_exit_),
      watcher_(std::move(other.watcher_)) {
  other.handle_ = ProcessHandle::kNone;
  other.info_ = ProcessInfo{};
}

HcsProcess::~HcsProcess() { Close(); }

core::Result<HcsProcess> HcsProcess::Create(ComputeApi& api, SystemHandle system,
                                            const std::string& parameters,
                                            const HcsTimeouts& timeouts) {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(api));
  ProcessHandle handle = ProcessHandle::kNone;
  HResult hr = api.CreateSystemProcess(system, parameters, op.get(), &handle);
  HcsProcess process(api, handle, timeouts);
  auto done = op.Finish(hr, timeouts.create_process, "starting the RUN command", &process.info_);
  if (!done && handle != ProcessHandle::kNone) {
    // hcsshim internal/hcs/v2/system.go:813-831: the wait can fail spuriously (seen on WS2022
    // when HcsCreateProcess completed synchronously) although HCS handed back a live process.
    // Ask HcsGetProcessInfo and carry on; if that fails too, report the original error.
    process.info_ = ProcessInfo{};
    auto recovered = process.FetchInfo();
    if (recovered) done = std::move(recovered);
  }
  if (!done) {
    process.exited_ = true;  // never started: nothing to terminate
    return core::Fail(done.error());
  }
  if (handle == ProcessHandle::kNone)
    return core::Fail(core::ErrorCode::kRuntime, "HcsCreateProcess returned no handle");
  if (!api.HasWaitForProcessExit()) {
    process.watcher_ = std::make_unique<ExitWatcher>();
    HResult cb = api.SetProcessCallback(handle, process.watcher_.get());
    if (lw::Failed(cb)) return core::Fail(lw::HcsError("HcsSetProcessCallback", cb));
    // An exit before the registration may never be reported (hcs-api.md 1.4): ask once.
    KILN_ASSIGN(ProcessStatus status, process.QueryStatus());
    if (status.exit_code_valid()) process.early_exit_ = status;
  }
  return process;
}

core::Result<std::string> HcsProcess::FetchInfo() {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->GetProcessInfo(handle_, op.get());
  return op.Finish(hr, timeouts_.query, "reading the RUN command's process information", &info_);
}

PipeHandle HcsProcess::TakeStdout() { return std::exchange(info_.std_output, PipeHandle::kNone); }

PipeHandle HcsProcess::TakeStderr() { return std::exchange(info_.std_error, PipeHandle::kNone); }

core::Result<ProcessStatus> HcsProcess::QueryStatus() {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->GetProcessProperties(handle_, op.get());
  KILN_ASSIGN(std::string document, op.Finish(hr, timeouts_.query, "reading the process status"));
  return ParseProcessStatus(document);
}

core::Result<std::optional<ProcessStatus>> HcsProcess::WaitForExit(
    std::chrono::milliseconds slice) {
  if (early_exit_) {
    exited_ = true;
    return early_exit_;
  }
  std::string document;
  if (watcher_) {
    KILN_ASSIGN(auto exit_document, watcher_->Wait(slice));
    if (!exit_document) return std::optional<ProcessStatus>();
    document = std::move(*exit_document);
  } else {
    OperationResult r = api_->WaitForProcessExit(handle_, static_cast<uint32_t>(slice.count()));
    if (IsTimeout(r.hr)) return std::optional<ProcessStatus>();
    if (lw::Failed(r.hr))
      return core::Fail(lw::HcsError("waiting for the RUN command", r.hr, r.document));
    document = std::move(r.document);
  }
  KILN_ASSIGN(ProcessStatus status, ParseProcessStatus(document));
  if (!status.exit_code_valid()) {
    KILN_ASSIGN(status, QueryStatus());
  }
  if (!status.exit_code_valid())
    return core::Fail(core::ErrorCode::kRuntime,
                      "HCS reported the process as exited without an exit code (LastWaitResult " +
                          std::to_string(status.last_wait_result) + ")");
  exited_ = true;
  return std::optional<ProcessStatus>(status);
}

core::Status HcsProcess::Terminate() {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->TerminateProcess(handle_, op.get());
  auto done = op.Finish(hr, timeouts_.terminate, "terminating the RUN command", nullptr, &hr);
  if (!done && !lw::SameHResult(hr, lw::kHcsProcessAlreadyStopped)) return core::Fail(done.error());
  return {};
}

void HcsProcess::Close() {
  for (PipeHandle* pipe : {&info_.std_input, &info_.std_output, &info_.std_error})
    if (*pipe != PipeHandle::kNone) api_->ClosePipe(std::exchange(*pipe, PipeHandle::kNone));
  if (handle_ == ProcessHandle::kNone) return;
  if (!exited_) (void)Terminate();
  api_->CloseProcess(handle_);
  handle_ = ProcessHandle::kNone;
}

}  // namespace kiln::builder::windows
