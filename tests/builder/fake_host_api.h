// Fake of the HostApi thin layer: a Windows host described by a few fields. As on Windows, a
// process that is not elevated holds none of the backup/restore privileges (a filtered admin
// token; AdjustTokenPrivileges then reports ERROR_NOT_ALL_ASSIGNED), so enabling one fails.
#pragma once

#include <set>
#include <string>

#include "layers/windows/host_api.h"

namespace kiln::testing {

struct FakeHostApi : layers::windows::HostApi {
  bool elevated = true;
  bool containers_feature = true;
  bool hyperv = true;  // the Hyper-V role
  std::set<std::string> held_privileges = {"SeBackupPrivilege", "SeRestorePrivilege",
                                           "SeSecurityPrivilege", "SeManageVolumePrivilege"};
  std::set<std::string> enabled;
  core::WindowsVersion version{10, 0, 20348, 2340};

  core::Result<bool> IsElevated() override { return elevated; }
  core::Status CheckContainersFeature() override {
    if (containers_feature) return {};
    return core::Fail(core::ErrorCode::kUnsupported,
                      "the Host Compute Service (vmcompute) is not installed");
  }
  core::Status CheckHyperV() override {
    ++hyperv_checks;
    if (hyperv) return {};
    return core::Fail(core::ErrorCode::kUnsupported,
                      "the Hyper-V Virtual Machine Management service (vmms) is not installed");
  }
  int hyperv_checks = 0;
  core::Status EnablePrivilege(const std::string& name) override {
    if (!elevated || !held_privileges.contains(name))
      return core::Fail(core::ErrorCode::kUnsupported, "the process token does not hold " + name);
    enabled.insert(name);
    return {};
  }
  core::Result<core::WindowsVersion> HostVersion() override { return version; }
};

}  // namespace kiln::testing
