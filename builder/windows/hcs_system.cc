#include "builder/windows/hcs_system.h"

#include "builder/windows/hcs_operation.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;

core::Result<HcsSystem> HcsSystem::Create(ComputeApi& api, const std::string& id,
                                          const std::string& document,
                                          const HcsTimeouts& timeouts, std::string kind) {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(api));
  SystemHandle handle = SystemHandle::kNone;
  HResult hr = api.CreateComputeSystem(id, document, op.get(), &handle);
  // From here on the handle is owned (hcs-api.md 1.3: close it even if the operation fails).
  HcsSystem system(api, handle, id, timeouts, std::move(kind));
  if (handle == SystemHandle::kNone) system.stopped_ = true;
  auto done = op.Finish(hr, timeouts.create, "creating " + system.kind_ + " " + id);
  if (!done) {
    if (handle != SystemHandle::kNone) {
      (void)system.Terminate();  // hcsshim: terminate + close a system that failed to create
      system.stopped_ = true;
    }
    return core::Fail(done.error());  // ~HcsSystem closes the handle
  }
  if (handle == SystemHandle::kNone)
    return core::Fail(core::ErrorCode::kRuntime, "HcsCreateComputeSystem returned no handle");
  return system;
}

HcsSystem::HcsSystem(HcsSystem&& other) noexcept
    : api_(other.api_),
      handle_(other.handle_),
      id_(std::move(other.id_)),
      kind_(std::move(other.kind_)),
      timeouts_(other.timeouts_),
      started_(other.started_),
      stopped_(other.stopped_) {
  other.handle_ = SystemHandle::kNone;
}

HcsSystem::~HcsSystem() { Close(); }

core::Status HcsSystem::Start() {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->StartComputeSystem(handle_, op.get());
  auto done = op.Finish(hr, timeouts_.start, "starting " + kind_ + " " + id_);
  if (!done) return core::Fail(done.error());
  started_ = true;
  return {};
}

core::Status HcsSystem::Modify(const std::string& request, std::string_view what) {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->ModifyComputeSystem(handle_, request, op.get());
  auto done = op.Finish(hr, timeouts_.modify, what);
  if (!done) return core::Fail(done.error());
  return {};
}

core::Status HcsSystem::Terminate() {
  KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
  HResult hr = api_->TerminateComputeSystem(handle_, op.get());
  auto done = op.Finish(hr, timeouts_.terminate, "terminating " + kind_ + " " + id_, nullptr, &hr);
  if (!done && !lw::SameHResult(hr, lw::kHcsSystemAlreadyStopped)) return core::Fail(done.error());
  return {};
}

core::Status HcsSystem::Stop() {
  if (stopped_ || handle_ == SystemHandle::kNone) return {};
  if (!started_) {  // nothing to shut down cleanly
    KILN_TRY(Terminate());
    stopped_ = true;
    return {};
  }
  auto shutdown = [&]() -> core::Status {
    KILN_ASSIGN(HcsOperation op, HcsOperation::Create(*api_));
    HResult hr = api_->ShutDownComputeSystem(handle_, op.get());
    auto done = op.Finish(hr, timeouts_.shutdown, "shutting down " + kind_ + " " + id_, nullptr, &hr);
    if (!done && !lw::SameHResult(hr, lw::kHcsSystemAlreadyStopped))
      return core::Fail(done.error());
    return {};
  }();
  if (!shutdown) {
    auto terminated = Terminate();
    if (!terminated)
      return core::Fail(terminated.error().Wrap(shutdown.error().message + "; then"));
  }
  stopped_ = true;
  return {};
}

void HcsSystem::Close() {
  if (handle_ == SystemHandle::kNone) return;
  (void)Stop();
  api_->CloseComputeSystem(handle_);
  handle_ = SystemHandle::kNone;
}

}  // namespace kiln::builder::windows
