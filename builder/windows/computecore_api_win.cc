#include <mutex>

#include "builder/windows/computecore_api.h"
#include "layers/windows/win32_util_win.h"  // windows.h, which computecore.h needs first

// clang-format off
#include <computecore.h>
// clang-format on

namespace kiln::builder::windows {

namespace lw = layers::windows;

namespace {

// Pointer types from the MinGW declarations; taking decltype creates no import.
#define KILN_HCS_FN(name) decltype(&::name) name = nullptr

constexpr HResult kNotLoaded = lw::HResultFromWin32(ERROR_PROC_NOT_FOUND);

template <typename H>
H As(uintptr_t v) {
  return reinterpret_cast<H>(v);
}
template <typename E, typename H>
E Handle(H h) {
  return static_cast<E>(reinterpret_cast<uintptr_t>(h));
}

// Result strings from computecore are freed with LocalFree (documented contract; hcs-api.md
// 1.7 lists CoTaskMemFree as the other practice to verify).
std::string Take(PWSTR document) {
  if (!document) return {};
  std::string out = lw::Narrow(document);
  LocalFree(document);
  return out;
}

void CALLBACK OnHcsEvent(HCS_EVENT* event, void* context) {
  if (!event || !context) return;
  auto* sink = static_cast<EventSink*>(context);
  sink->OnEvent(static_cast<uint32_t>(event->Type),
                event->EventData ? lw::Narrow(event->EventData) : std::string());
}

}  // namespace

struct ComputecoreApi::Impl {
  lw::SystemDll dll{L"computecore.dll"};
  std::once_flag once;
  core::Status loaded = core::Fail(core::ErrorCode::kUnsupported, "computecore.dll not loaded");
  KILN_HCS_FN(HcsCreateOperation);
  KILN_HCS_FN(HcsCloseOperation);
  KILN_HCS_FN(HcsWaitForOperationResult);
  KILN_HCS_FN(HcsGetOperationResult);
  KILN_HCS_FN(HcsWaitForOperationResultAndProcessInfo);
  KILN_HCS_FN(HcsCancelOperation);
  KILN_HCS_FN(HcsCreateComputeSystem);
  KILN_HCS_FN(HcsStartComputeSystem);
  KILN_HCS_FN(HcsModifyComputeSystem);  // optional (Hyper-V isolation)
  KILN_HCS_FN(HcsShutDownComputeSystem);
  KILN_HCS_FN(HcsTerminateComputeSystem);
  KILN_HCS_FN(HcsCloseComputeSystem);
  KILN_HCS_FN(HcsCreateProcess);
  KILN_HCS_FN(HcsGetProcessProperties);
  KILN_HCS_FN(HcsGetProcessInfo);  // optional (recovery after a failed create wait)
  KILN_HCS_FN(HcsSetProcessCallback);
  KILN_HCS_FN(HcsTerminateProcess);
  KILN_HCS_FN(HcsCloseProcess);
  KILN_HCS_FN(HcsWaitForProcessExit);  // optional: Windows Server 2022+

  core::Status Resolve() {
    KILN_TRY(dll.Load());
    std::string missing;
    auto get = [&](auto& fn, const char* symbol) {
      fn = dll.Find<std::remove_reference_t<decltype(fn)>>(symbol);
      if (!fn) missing += std::string(missing.empty() ? "" : ", ") + symbol;
    };
#define KILN_GET(name) get(name, #name)
    KILN_GET(HcsCreateOperation);
    KILN_GET(HcsCloseOperation);
    KILN_GET(HcsWaitForOperationResult);
    KILN_GET(HcsGetOperationResult);
    KILN_GET(HcsWaitForOperationResultAndProcessInfo);
    KILN_GET(HcsCancelOperation);
    KILN_GET(HcsCreateComputeSystem);
    KILN_GET(HcsStartComputeSystem);
    KILN_GET(HcsShutDownComputeSystem);
    KILN_GET(HcsTerminateComputeSystem);
    KILN_GET(HcsCloseComputeSystem);
    KILN_GET(HcsCreateProcess);
    KILN_GET(HcsGetProcessProperties);
    KILN_GET(HcsSetProcessCallback);
    KILN_GET(HcsTerminateProcess);
    KILN_GET(HcsCloseProcess);
#undef KILN_GET
    HcsWaitForProcessExit = dll.Find<decltype(HcsWaitForProcessExit)>("HcsWaitForProcessExit");
    // In computecore.dll since 1809, but only Hyper-V isolation and the HcsCreateProcess
    // recovery need them: a missing one fails that call (ERROR_PROC_NOT_FOUND), not Load.
    HcsModifyComputeSystem =
        dll.Find<decltype(HcsModifyComputeSystem)>("HcsModifyComputeSystem");
    HcsGetProcessInfo = dll.Find<decltype(HcsGetProcessInfo)>("HcsGetProcessInfo");
    if (!missing.empty())
      return core::Fail(core::ErrorCode::kUnsupported,
                        "computecore.dll lacks " + missing + " (unsupported Windows build?)");
    return {};
  }
};

ComputecoreApi::ComputecoreApi() : impl_(std::make_unique<Impl>()) {}
ComputecoreApi::~ComputecoreApi() = default;

core::Status ComputecoreApi::Load() {
  std::call_once(impl_->once, [&] { impl_->loaded = impl_->Resolve(); });
  return impl_->loaded;
}

OperationHandle ComputecoreApi::CreateOperation() {
  if (!impl_->HcsCreateOperation) return OperationHandle::kNone;
  return Handle<OperationHandle>(impl_->HcsCreateOperation(nullptr, nullptr));
}

void ComputecoreApi::CloseOperation(OperationHandle op) {
  if (impl_->HcsCloseOperation) impl_->HcsCloseOperation(As<HCS_OPERATION>(uintptr_t(op)));
}

OperationResult ComputecoreApi::WaitForOperationResult(OperationHandle op, uint32_t timeout_ms) {
  if (!impl_->HcsWaitForOperationResult) return {kNotLoaded, ""};
  PWSTR doc = nullptr;
  HRESULT hr = impl_->HcsWaitForOperationResult(As<HCS_OPERATION>(uintptr_t(op)), timeout_ms, &doc);
  return {hr, Take(doc)};
}

OperationResult ComputecoreApi::GetOperationResult(OperationHandle op) {
  if (!impl_->HcsGetOperationResult) return {kNotLoaded, ""};
  PWSTR doc = nullptr;
  HRESULT hr = impl_->HcsGetOperationResult(As<HCS_OPERATION>(uintptr_t(op)), &doc);
  return {hr, Take(doc)};
}

OperationResult ComputecoreApi::WaitForOperationResultAndProcessInfo(OperationHandle op,
                                                                     uint32_t timeout_ms,
                                                                     ProcessInfo* info) {
  if (!impl_->HcsWaitForOperationResultAndProcessInfo) return {kNotLoaded, ""};
  HCS_PROCESS_INFORMATION pi{};
  PWSTR doc = nullptr;
  HRESULT hr = impl_->HcsWaitForOperationResultAndProcessInfo(As<HCS_OPERATION>(uintptr_t(op)),
                                                              timeout_ms, &pi, &doc);
  if (SUCCEEDED(hr) && info) {
    info->process_id = pi.ProcessId;
    info->std_input = Handle<PipeHandle>(pi.StdInput);
    info->std_output = Handle<PipeHandle>(pi.StdOutput);
    info->std_error = Handle<PipeHandle>(pi.StdError);
  }
  return {hr, Take(doc)};
}

HResult ComputecoreApi::CancelOperation(OperationHandle op) {
  if (!impl_->HcsCancelOperation) return kNotLoaded;
  return impl_->HcsCancelOperation(As<HCS_OPERATION>(uintptr_t(op)));
}

HResult ComputecoreApi::CreateComputeSystem(const std::string& id, const std::string& configuration,
                                            OperationHandle op, SystemHandle* system) {
  if (!impl_->HcsCreateComputeSystem) return kNotLoaded;
  HCS_SYSTEM h = nullptr;
  HRESULT hr =
      impl_->HcsCreateComputeSystem(lw::Widen(id).c_str(), lw::Widen(configuration).c_str(),
                                    As<HCS_OPERATION>(uintptr_t(op)), nullptr, &h);
  *system = Handle<SystemHandle>(h);
  return hr;
}

HResult ComputecoreApi::StartComputeSystem(SystemHandle system, OperationHandle op) {
  if (!impl_->HcsStartComputeSystem) return kNotLoaded;
  return impl_->HcsStartComputeSystem(As<HCS_SYSTEM>(uintptr_t(system)),
                                      As<HCS_OPERATION>(uintptr_t(op)), nullptr);
}

HResult ComputecoreApi::ModifyComputeSystem(SystemHandle system, const std::string& configuration,
                                            OperationHandle op) {
  if (!impl_->HcsModifyComputeSystem) return kNotLoaded;
  return impl_->HcsModifyComputeSystem(As<HCS_SYSTEM>(uintptr_t(system)),
                                       As<HCS_OPERATION>(uintptr_t(op)),
                                       lw::Widen(configuration).c_str(), nullptr);
}

HResult ComputecoreApi::ShutDownComputeSystem(SystemHandle system, OperationHandle op) {
  if (!impl_->HcsShutDownComputeSystem) return kNotLoaded;
  return impl_->HcsShutDownComputeSystem(As<HCS_SYSTEM>(uintptr_t(system)),
                                         As<HCS_OPERATION>(uintptr_t(op)), nullptr);
}

HResult ComputecoreApi::TerminateComputeSystem(SystemHandle system, OperationHandle op) {
  if (!impl_->HcsTerminateComputeSystem) return kNotLoaded;
  return impl_->HcsTerminateComputeSystem(As<HCS_SYSTEM>(uintptr_t(system)),
                                          As<HCS_OPERATION>(uintptr_t(op)), nullptr);
}

void ComputecoreApi::CloseComputeSystem(SystemHandle system) {
  if (impl_->HcsCloseComputeSystem) impl_->HcsCloseComputeSystem(As<HCS_SYSTEM>(uintptr_t(system)));
}

HResult ComputecoreApi::CreateSystemProcess(SystemHandle system, const std::string& parameters,
                                            OperationHandle op, ProcessHandle* process) {
  if (!impl_->HcsCreateProcess) return kNotLoaded;
  HCS_PROCESS h = nullptr;
  HRESULT hr =
      impl_->HcsCreateProcess(As<HCS_SYSTEM>(uintptr_t(system)), lw::Widen(parameters).c_str(),
                              As<HCS_OPERATION>(uintptr_t(op)), nullptr, &h);
  *process = Handle<ProcessHandle>(h);
  return hr;
}

HResult ComputecoreApi::GetProcessProperties(ProcessHandle process, OperationHandle op) {
  if (!impl_->HcsGetProcessProperties) return kNotLoaded;
  return impl_->HcsGetProcessProperties(As<HCS_PROCESS>(uintptr_t(process)),
                                        As<HCS_OPERATION>(uintptr_t(op)), nullptr);
}

HResult ComputecoreApi::GetProcessInfo(ProcessHandle process, OperationHandle op) {
  if (!impl_->HcsGetProcessInfo) return kNotLoaded;
  return impl_->HcsGetProcessInfo(As<HCS_PROCESS>(uintptr_t(process)),
                                  As<HCS_OPERATION>(uintptr_t(op)));
}

HResult ComputecoreApi::SetProcessCallback(ProcessHandle process, EventSink* sink) {
  if (!impl_->HcsSetProcessCallback) return kNotLoaded;
  return impl_->HcsSetProcessCallback(As<HCS_PROCESS>(uintptr_t(process)), HcsEventOptionNone, sink,
                                      &OnHcsEvent);
}

bool ComputecoreApi::HasWaitForProcessExit() { return impl_->HcsWaitForProcessExit != nullptr; }

OperationResult ComputecoreApi::WaitForProcessExit(ProcessHandle process, uint32_t timeout_ms) {
  if (!impl_->HcsWaitForProcessExit) return {kNotLoaded, ""};
  PWSTR doc = nullptr;
  HRESULT hr = impl_->HcsWaitForProcessExit(As<HCS_PROCESS>(uintptr_t(process)), timeout_ms, &doc);
  return {hr, Take(doc)};
}

HResult ComputecoreApi::TerminateProcess(ProcessHandle process, OperationHandle op) {
  if (!impl_->HcsTerminateProcess) return kNotLoaded;
  return impl_->HcsTerminateProcess(As<HCS_PROCESS>(uintptr_t(process)),
                                    As<HCS_OPERATION>(uintptr_t(op)), nullptr);
}

void ComputecoreApi::CloseProcess(ProcessHandle process) {
  if (impl_->HcsCloseProcess) impl_->HcsCloseProcess(As<HCS_PROCESS>(uintptr_t(process)));
}

core::Result<size_t> ComputecoreApi::ReadPipe(PipeHandle pipe, void* buffer, size_t size) {
  DWORD n = 0;
  if (ReadFile(As<HANDLE>(uintptr_t(pipe)), buffer, static_cast<DWORD>(size), &n, nullptr))
    return static_cast<size_t>(n);
  DWORD code = GetLastError();
  if (code == ERROR_BROKEN_PIPE || code == ERROR_OPERATION_ABORTED || code == ERROR_HANDLE_EOF ||
      code == ERROR_PIPE_NOT_CONNECTED)
    return size_t{0};
  return core::Fail(lw::Win32Error("reading the RUN command's output", code));
}

void ComputecoreApi::CancelPipeRead(PipeHandle pipe) {
  CancelIoEx(As<HANDLE>(uintptr_t(pipe)), nullptr);
}

void ComputecoreApi::ClosePipe(PipeHandle pipe) { CloseHandle(As<HANDLE>(uintptr_t(pipe))); }

}  // namespace kiln::builder::windows
