// The real HostApi (win32_host_api_win.cc, Windows only): token elevation and privileges
// (advapi32), the vmcompute and vmms services, RtlGetVersion (ntdll, not subject to manifest lies) and the
// UBR registry value.
#pragma once

#include <functional>

#include "layers/windows/host_api.h"

namespace kiln::layers::windows {

class Win32HostApi : public HostApi {
 public:
  // `load_dlls` loads and resolves computecore.dll and vmcompute.dll (the API objects' Load).
  explicit Win32HostApi(std::function<core::Status()> load_dlls)
      : load_dlls_(std::move(load_dlls)) {}
  core::Result<bool> IsElevated() override;
  core::Status CheckContainersFeature() override;
  core::Status CheckHyperV() override;
  core::Status EnablePrivilege(const std::string& name) override;
  core::Result<core::WindowsVersion> HostVersion() override;

 private:
  std::function<core::Status()> load_dlls_;
};

}  // namespace kiln::layers::windows
