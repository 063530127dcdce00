// Thin layer (2): an owned HCS_OPERATION. One per HCS call; closed when the object dies, never
// while the call that uses it is still in flight (a timed-out wait cancels it first).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "builder/windows/compute_api.h"

namespace kiln::builder::windows {

class HcsOperation {
 public:
  // Fails (kRuntime) when HCS cannot allocate an operation.
  static core::Result<HcsOperation> Create(ComputeApi& api);
  HcsOperation(HcsOperation&& other) noexcept;
  HcsOperation& operator=(HcsOperation&& other) noexcept;
  HcsOperation(const HcsOperation&) = delete;
  HcsOperation& operator=(const HcsOperation&) = delete;
  ~HcsOperation();

  OperationHandle get() const { return handle_; }

  // Completes the HCS call that used this operation and returned `submitted`: a failed
  // submission is reported with the operation's result document; otherwise waits up to
  // `timeout` (cancelling the operation when it runs out) and returns the result document, or
  // the error "<what>: <reason> (<hresult>): <ResultError details>". With `info`, waits for a
  // CreateProcess operation and fills the process information. `outcome` receives the final
  // HRESULT (the submission's or the operation's).
  core::Result<std::string> Finish(HResult submitted, std::chrono::milliseconds timeout,
                                   std::string_view what, ProcessInfo* info = nullptr,
                                   HResult* outcome = nullptr);

 private:
  HcsOperation(ComputeApi& api, OperationHandle handle) : api_(&api), handle_(handle) {}
  ComputeApi* api_;
  OperationHandle handle_;
};

// True for the HRESULTs a timed wait returns when time ran out.
bool IsTimeout(HResult hr);

}  // namespace kiln::builder::windows
