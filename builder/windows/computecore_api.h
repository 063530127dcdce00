// The real ComputeApi: computecore.dll resolved with GetProcAddress at run time (no import
// library, so kiln.exe starts on hosts without HcsWaitForProcessExit and reports a missing
// Containers feature cleanly), plus ReadFile/CancelIoEx/CloseHandle on the stdio pipes.
// Defined in computecore_api_win.cc (Windows only).
#pragma once

#include <memory>

#include "builder/windows/compute_api.h"

namespace kiln::builder::windows {

class ComputecoreApi : public ComputeApi {
 public:
  ComputecoreApi();
  ~ComputecoreApi() override;
  // Loads computecore.dll from System32 and resolves the required exports; the error names what
  // is missing. HcsWaitForProcessExit is optional (Windows Server 2022 and later).
  core::Status Load();

  OperationHandle CreateOperation() override;
  void CloseOperation(OperationHandle op) override;
  OperationResult WaitForOperationResult(OperationHandle op, uint32_t timeout_ms) override;
  OperationResult GetOperationResult(OperationHandle op) override;
  OperationResult WaitForOperationResultAndProcessInfo(OperationHandle op, uint32_t timeout_ms,
                                                       ProcessInfo* info) override;
  HResult CancelOperation(OperationHandle op) override;
  HResult CreateComputeSystem(const std::string& id, const std::string& configuration,
                              OperationHandle op, SystemHandle* system) override;
  HResult StartComputeSystem(SystemHandle system, OperationHandle op) override;
  HResult ModifyComputeSystem(SystemHandle system, const std::string& configuration,
                              OperationHandle op) override;
  HResult ShutDownComputeSystem(SystemHandle system, OperationHandle op) override;
  HResult TerminateComputeSystem(SystemHandle system, OperationHandle op) override;
  void CloseComputeSystem(SystemHandle system) override;
  HResult CreateSystemProcess(SystemHandle system, const std::string& parameters,
                              OperationHandle op, ProcessHandle* process) override;
  HResult GetProcessProperties(ProcessHandle process, OperationHandle op) override;
  HResult GetProcessInfo(ProcessHandle process, OperationHandle op) override;
  HResult SetProcessCallback(ProcessHandle process, EventSink* sink) override;
  bool HasWaitForProcessExit() override;
  OperationResult WaitForProcessExit(ProcessHandle process, uint32_t timeout_ms) override;
  HResult TerminateProcess(ProcessHandle process, OperationHandle op) override;
  void CloseProcess(ProcessHandle process) override;
  core::Result<size_t> ReadPipe(PipeHandle pipe, void* buffer, size_t size) override;
  void CancelPipeRead(PipeHandle pipe) override;
  void ClosePipe(PipeHandle pipe) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::builder::windows
