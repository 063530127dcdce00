#include "layers/windows/win32_host_api.h"
#include "layers/windows/win32_util_win.h"

namespace kiln::layers::windows {
namespace {

// Closes a HANDLE or SC_HANDLE at scope exit.
template <typename H, BOOL(WINAPI* Close)(H)>
struct Owned {
  H h = nullptr;
  ~Owned() {
    if (h) Close(h);
  }
};

}  // namespace

core::Result<bool> Win32HostApi::IsElevated() {
  Owned<HANDLE, CloseHandle> token;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token.h))
    return core::Fail(Win32Error("OpenProcessToken"));
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  if (!GetTokenInformation(token.h, TokenElevation, &elevation, sizeof elevation, &size))
    return core::Fail(Win32Error("GetTokenInformation(TokenElevation)"));
  return elevation.TokenIsElevated != 0;
}

core::Status Win32HostApi::CheckContainersFeature() {
  Owned<SC_HANDLE, CloseServiceHandle> manager, service;
  manager.h = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!manager.h) return core::Fail(Win32Error("OpenSCManager"));
  service.h = OpenServiceW(manager.h, L"vmcompute", SERVICE_QUERY_STATUS);
  if (!service.h) {
    DWORD code = GetLastError();
    if (code == ERROR_SERVICE_DOES_NOT_EXIST)
      return core::Fail(core::ErrorCode::kUnsupported,
                        "the Host Compute Service (vmcompute) is not installed");
    return core::Fail(Win32Error("OpenService(vmcompute)", code));
  }
  return load_dlls_ ? load_dlls_() : core::Status();
}

core::Status Win32HostApi::CheckHyperV() {
  Owned<SC_HANDLE, CloseServiceHandle> manager, service;
  manager.h = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!manager.h) return core::Fail(Win32Error("OpenSCManager"));
  service.h = OpenServiceW(manager.h, L"vmms", SERVICE_QUERY_STATUS);
  if (!service.h) {
    DWORD code = GetLastError();
    if (code == ERROR_SERVICE_DOES_NOT_EXIST)
      return core::Fail(core::ErrorCode::kUnsupported,
                        "the Hyper-V Virtual Machine Management service (vmms) is not installed");
    return core::Fail(Win32Error("OpenService(vmms)", code));
  }
  return {};
}

core::Status Win32HostApi::EnablePrivilege(const std::string& name) {
  Owned<HANDLE, CloseHandle> token;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token.h))
    return core::Fail(Win32Error("OpenProcessToken"));
  TOKEN_PRIVILEGES tp{};
  tp.PrivilegeCount = 1;
  tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!LookupPrivilegeValueW(nullptr, Widen(name).c_str(), &tp.Privileges[0].Luid))
    return core::Fail(Win32Error("LookupPrivilegeValue(" + name + ")"));
  // AdjustTokenPrivileges succeeds even when the token lacks the privilege.
  if (!AdjustTokenPrivileges(token.h, FALSE, &tp, sizeof tp, nullptr, nullptr))
    return core::Fail(Win32Error("AdjustTokenPrivileges(" + name + ")"));
  if (GetLastError() == ERROR_NOT_ALL_ASSIGNED)
    return core::Fail(core::ErrorCode::kUnsupported,
                      "the process token does not hold " + name + " (run kiln elevated)");
  return {};
}

core::Result<core::WindowsVersion> Win32HostApi::HostVersion() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto rtl_get_version = ntdll ? reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void*>(
                                     GetProcAddress(ntdll, "RtlGetVersion")))
                               : nullptr;
  if (!rtl_get_version) return core::Fail(core::ErrorCode::kRuntime, "RtlGetVersion not found");
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof info;
  if (rtl_get_version(&info) != 0)
    return core::Fail(core::ErrorCode::kRuntime, "RtlGetVersion failed");
  DWORD ubr = 0, size = sizeof ubr;
  // Missing UBR (very old builds) leaves the revision at 0.
  (void)RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", L"UBR",
                     RRF_RT_REG_DWORD, nullptr, &ubr, &size);
  return core::WindowsVersion{info.dwMajorVersion, info.dwMinorVersion, info.dwBuildNumber, ubr};
}

}  // namespace kiln::layers::windows
