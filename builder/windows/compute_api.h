// Thin layer (1), compute side: the computecore.dll functions kiln calls to run one process in a
// process-isolated or Hyper-V isolated container (hcs-api.md 1.3), plus reading the stdio pipes HCS hands back. One
// virtual per export, no logic. The real implementation (computecore_api_win.cc) resolves every
// export at run time (optional ones, like HcsWaitForProcessExit, may be missing on Windows Server
// 2019); tests use a recording fake. Strings are UTF-8; handles are opaque numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "layers/windows/hresult.h"

namespace kiln::builder::windows {

using layers::windows::HResult;

enum class OperationHandle : uintptr_t { kNone = 0 };
enum class SystemHandle : uintptr_t { kNone = 0 };
enum class ProcessHandle : uintptr_t { kNone = 0 };
enum class PipeHandle : uintptr_t { kNone = 0 };

// The outcome of an operation and its result document (JSON; a ResultError on failure).
struct OperationResult {
  HResult hr = 0;
  std::string document;
};

// HCS_PROCESS_INFORMATION.
struct ProcessInfo {
  uint32_t process_id = 0;
  PipeHandle std_input = PipeHandle::kNone;
  PipeHandle std_output = PipeHandle::kNone;
  PipeHandle std_error = PipeHandle::kNone;
};

// HCS_EVENT_TYPE values kiln acts on.
inline constexpr uint32_t kEventSystemExited = 0x00000001;
inline constexpr uint32_t kEventProcessExited = 0x00010000;
inline constexpr uint32_t kEventServiceDisconnect = 0x02000000;

// Receives HCS events (HCS_EVENT_CALLBACK) on an HCS thread; must outlive the registration.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(uint32_t type, std::string_view event_data) = 0;
};

class ComputeApi {
 public:
  virtual ~ComputeApi() = default;

  virtual OperationHandle CreateOperation() = 0;  // kNone when HCS cannot allocate one
  virtual void CloseOperation(OperationHandle op) = 0;
  virtual OperationResult WaitForOperationResult(OperationHandle op, uint32_t timeout_ms) = 0;
  // Non-blocking; HCS_E_OPERATION_PENDING while running.
  virtual OperationResult GetOperationResult(OperationHandle op) = 0;
  virtual OperationResult WaitForOperationResultAndProcessInfo(OperationHandle op,
                                                               uint32_t timeout_ms,
                                                               ProcessInfo* info) = 0;
  virtual HResult CancelOperation(OperationHandle op) = 0;

  virtual HResult CreateComputeSystem(const std::string& id, const std::string& configuration,
                                      OperationHandle op, SystemHandle* system) = 0;
  virtual HResult StartComputeSystem(SystemHandle system, OperationHandle op) = 0;
  // HcsModifyComputeSystem(system, op, configuration, identity = NULL): a ModifySettingRequest
  // document (Hyper-V isolation: guest requests to the utility VM).
  virtual HResult ModifyComputeSystem(SystemHandle system, const std::string& configuration,
                                      OperationHandle op) = 0;
  virtual HResult ShutDownComputeSystem(SystemHandle system, OperationHandle op) = 0;
  virtual HResult TerminateComputeSystem(SystemHandle system, OperationHandle op) = 0;
  virtual void CloseComputeSystem(SystemHandle system) = 0;

  virtual HResult CreateSystemProcess(SystemHandle system, const std::string& parameters,
                                      OperationHandle op, ProcessHandle* process) = 0;
  virtual HResult GetProcessProperties(ProcessHandle process, OperationHandle op) = 0;
  // HcsGetProcessInfo: the operation then gives HCS_PROCESS_INFORMATION through
  // WaitForOperationResultAndProcessInfo.
  virtual HResult GetProcessInfo(ProcessHandle process, OperationHandle op) = 0;
  virtual HResult SetProcessCallback(ProcessHandle process, EventSink* sink) = 0;
  // HcsWaitForProcessExit exists from Windows Server 2022 on.
  virtual bool HasWaitForProcessExit() = 0;
  virtual OperationResult WaitForProcessExit(ProcessHandle process, uint32_t timeout_ms) = 0;
  virtual HResult TerminateProcess(ProcessHandle process, OperationHandle op) = 0;
  virtual void CloseProcess(ProcessHandle process) = 0;

  // The caller owns the pipes in ProcessInfo. ReadPipe returns 0 at the end of the stream (also
  // when the writer side is gone or the read was cancelled).
  virtual core::Result<size_t> ReadPipe(PipeHandle pipe, void* buffer, size_t size) = 0;
  // Makes a ReadPipe blocked in another thread return (CancelIoEx).
  virtual void CancelPipeRead(PipeHandle pipe) = 0;
  virtual void ClosePipe(PipeHandle pipe) = 0;
};

}  // namespace kiln::builder::windows
