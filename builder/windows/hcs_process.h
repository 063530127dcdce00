// Thin layer (2): an owned HCS process with its stdio pipes, and how its exit is observed
// (hcs-api.md 1.4): HcsWaitForProcessExit where the host has it (Windows Server 2022 and later),
// else the ProcessExited callback plus one defensive HcsGetProcessProperties. When the object dies
// a still-running process is terminated, unclaimed pipes are closed and the handle released.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "builder/windows/compute_api.h"
#include "builder/windows/hcs_documents.h"
#include "builder/windows/hcs_timeouts.h"

namespace kiln::builder::windows {

class HcsProcess {
 public:
  // HcsCreateProcess + HcsWaitForOperationResultAndProcessInfo (when that wait fails but HCS
  // returned a process handle: HcsGetProcessInfo, as hcsshim does); then, on hosts without
  // HcsWaitForProcessExit, registers the exit callback.
  static core::Result<HcsProcess> Create(ComputeApi& api, SystemHandle system,
                                         const std::string& parameters,
                                         const HcsTimeouts& timeouts);
  HcsProcess(HcsProcess&& other) noexcept;
  HcsProcess(const HcsProcess&) = delete;
  HcsProcess& operator=(const HcsProcess&) = delete;
  HcsProcess& operator=(HcsProcess&&) = delete;
  ~HcsProcess();

  uint32_t pid() const { return info_.process_id; }
  // Hands a pipe over to the caller, who must close it (ComputeApi::ClosePipe).
  PipeHandle TakeStdout();
  PipeHandle TakeStderr();

  // Waits up to `slice`; nullopt while the process runs. The status has a valid exit code
  // (fetched with HcsGetProcessProperties when the exit notice lacked one).
  core::Result<std::optional<ProcessStatus>> WaitForExit(std::chrono::milliseconds slice);
  // HcsTerminateProcess; a process that already exited is fine.
  core::Status Terminate();
  // Releases the handle now (terminating the process if it still runs).
  void Close();

 private:
  class ExitWatcher;
  HcsProcess(ComputeApi& api, ProcessHandle handle, const HcsTimeouts& timeouts);
  core::Result<ProcessStatus> QueryStatus();
  // HcsGetProcessInfo + wait: pid and stdio pipes into info_.
  core::Result<std::string> FetchInfo();

  ComputeApi* api_;
  ProcessHandle handle_;
  HcsTimeouts timeouts_;
  ProcessInfo info_;
  bool exited_ = false;
  std::optional<ProcessStatus> early_exit_;  // seen by the query right after registration
  std::unique_ptr<ExitWatcher> watcher_;     // callback path only; outlives the handle
};

}  // namespace kiln::builder::windows
