// Thin layer (1), host side: what kiln asks the Windows host before building (hcs-api.md 5.1-5.3
// and 5.7): the token's elevation and privileges, whether the Containers feature is there, and
// the host's Windows version. The real implementation is host_api_win.cc; tests fake it.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/platform.h"

namespace kiln::layers::windows {

inline constexpr const char* kSeBackupPrivilege = "SeBackupPrivilege";
inline constexpr const char* kSeRestorePrivilege = "SeRestorePrivilege";
inline constexpr const char* kSeSecurityPrivilege = "SeSecurityPrivilege";
inline constexpr const char* kSeManageVolumePrivilege = "SeManageVolumePrivilege";

class HostApi {
 public:
  virtual ~HostApi() = default;
  // TokenElevation of the process token.
  virtual core::Result<bool> IsElevated() = 0;
  // Ok when the Host Compute Service is installed (vmcompute service registered, computecore.dll
  // and vmcompute.dll load with every function kiln needs); the error names what is missing.
  virtual core::Status CheckContainersFeature() = 0;
  // Ok when the host has the Hyper-V role that Hyper-V isolated containers need: the Hyper-V
  // Virtual Machine Management service (vmms) is registered, found the way moby's
  // daemon/daemon_windows.go ensureServicesInstalled finds vmcompute and hns (OpenService).
  // Neither hcsshim nor moby checks this before creating a container; HCS then fails the create.
  // The error names what is missing. A cloud VM without nested virtualisation may have the role
  // and still fail at create (docs/windows.md "Isolation").
  virtual core::Status CheckHyperV() = 0;
  // Enables a privilege on the process token; kUnsupported when the token does not hold it
  // (AdjustTokenPrivileges' ERROR_NOT_ALL_ASSIGNED).
  virtual core::Status EnablePrivilege(const std::string& name) = 0;
  // RtlGetVersion major.minor.build plus UBR from HKLM\SOFTWARE\Microsoft\Windows
  // NT\CurrentVersion.
  virtual core::Result<core::WindowsVersion> HostVersion() = 0;
};

}  // namespace kiln::layers::windows
