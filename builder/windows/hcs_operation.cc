#include "builder/windows/hcs_operation.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;

bool IsTimeout(HResult hr) {
  return lw::SameHResult(hr, lw::kHcsOperationTimeout) ||
         lw::SameHResult(hr, lw::kWin32WaitTimeout);
}

core::Result<HcsOperation> HcsOperation::Create(ComputeApi& api) {
  OperationHandle handle = api.CreateOperation();
  if (handle == OperationHandle::kNone)
    return core::Fail(core::ErrorCode::kRuntime, "HcsCreateOperation failed (out of resources)");
  return HcsOperation(api, handle);
}

HcsOperation::HcsOperation(HcsOperation&& other) noexcept
    : api_(other.api_), handle_(other.handle_) {
  other.handle_ = OperationHandle::kNone;
}

HcsOperation& HcsOperation::operator=(HcsOperation&& other) noexcept {
  if (this != &other) {
    if (handle_ != OperationHandle::kNone) api_->CloseOperation(handle_);
    api_ = other.api_;
    handle_ = other.handle_;
    other.handle_ = OperationHandle::kNone;
  }
  return *this;
}

HcsOperation::~HcsOperation() {
  if (handle_ != OperationHandle::kNone) api_->CloseOperation(handle_);
}

core::Result<std::string> HcsOperation::Finish(HResult submitted, std::chrono::milliseconds timeout,
                                               std::string_view what, ProcessInfo* info,
                                               HResult* outcome) {
  HResult ignored = 0;
  if (!outcome) outcome = &ignored;
  *outcome = submitted;
  if (lw::Failed(submitted) && !lw::SameHResult(submitted, lw::kHcsOperationPending)) {
    OperationResult r = api_->GetOperationResult(handle_);
    return core::Fail(lw::HcsError(what, submitted, r.document));
  }
  auto ms = static_cast<uint32_t>(timeout.count());
  OperationResult r = info ? api_->WaitForOperationResultAndProcessInfo(handle_, ms, info)
                           : api_->WaitForOperationResult(handle_, ms);
  *outcome = r.hr;
  if (IsTimeout(r.hr)) {
    // Left alone, the operation keeps running (hcs-api.md 5.8).
    (void)api_->CancelOperation(handle_);
    return core::Fail(core::ErrorCode::kRuntime, std::string(what) +
                                                     ": no answer from HCS within " +
                                                     std::to_string(timeout.count() / 1000) +
                                                     " s (" + lw::HResultHex(r.hr) + ")");
  }
  if (lw::Failed(r.hr)) return core::Fail(lw::HcsError(what, r.hr, r.document));
  return r.document;
}

}  // namespace kiln::builder::windows
