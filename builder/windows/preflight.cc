#include "builder/windows/preflight.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;
using core::ErrorCode;
using core::Fail;

namespace {

// Host builds kiln knows by name, oldest first (windows-layer-format.md 3).
constexpr uint32_t kKnownHostBuilds[] = {17763, 19041, 19045, 20348, 22000,
                                         22621, 22631, 25398, 26100, 26200};

std::string Version(const core::WindowsVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.build) +
         (v.revision ? "." + std::to_string(v.revision) : "");
}

core::Status CheckVersions(lw::HostApi& host, const core::Platform& target) {
  KILN_ASSIGN(core::WindowsVersion host_version, host.HostVersion());
  if (host_version.build < kMinimumHostBuild)
    return Fail(ErrorCode::kUnsupported,
                "this host runs " + core::WindowsBuildName(host_version.build) +
                    "; RUN steps for Windows images need Windows Server 2019 (build 17763) or "
                    "later (the Host Compute Service API kiln uses)");
  if (target.os_version.empty()) return {};  // the base image does not say; HCS decides
  auto image = core::WindowsVersion::Parse(target.os_version);
  if (!image)
    return Fail(ErrorCode::kInvalidInput,
                "the image's os.version \"" + target.os_version + "\" is not a Windows version");
  if (core::ProcessIsolationCompatible(host_version, *image)) return {};
  if (image->build < kMinimumHostBuild)
    return Fail(ErrorCode::kUnsupported,
                "the image is for " + core::WindowsBuildName(image->build) + " (" +
                    Version(*image) +
                    "): process isolation needs a host of that same build, "
                    "and kiln runs RUN steps only on Windows Server 2019 (build 17763) or later");
  return Fail(ErrorCode::kUnsupported,
              "this host runs " + core::WindowsBuildName(host_version.build) + " (" +
                  Version(host_version) + ") but the image is for " +
                  core::WindowsBuildName(image->build) + " (" + Version(*image) +
                  "): kiln runs RUN steps with process isolation, which needs a host of " +
                  ProcessIsolationHosts(*image) +
                  ". Build on such a host, or use a base image for build " +
                  std::to_string(host_version.build) + ".");
}

}  // namespace

std::string ProcessIsolationHosts(const core::WindowsVersion& image) {
  std::vector<uint32_t> hosts;
  for (uint32_t build : kKnownHostBuilds) {
    core::WindowsVersion host{image.major, image.minor, build, 0};
    if (core::ProcessIsolationCompatible(host, image)) hosts.push_back(build);
  }
  if (hosts.empty()) return "exactly build " + std::to_string(image.build);
  if (hosts.size() == 1 && hosts[0] < 20348) return core::WindowsBuildName(hosts[0]);
  std::string out;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (i > 0) out += i + 1 == hosts.size() ? " or " : ", ";
    out += core::WindowsBuildName(hosts[i]);
  }
  // Above 20348 the stable-ABI rule also admits builds newer than kiln knows by name.
  if (hosts.back() == kKnownHostBuilds[std::size(kKnownHostBuilds) - 1]) out += " or newer";
  return out;
}

core::Status RunPreflight(lw::HostApi& host, const core::Platform& target) {
  if (!target.is_windows())
    return Fail(ErrorCode::kUnsupported,
                "the HCS executor runs Windows images only, not " + target.ToString());
  KILN_ASSIGN(bool elevated, host.IsElevated());
  if (!elevated)
    return Fail(ErrorCode::kUnsupported,
                "RUN steps for Windows images need an elevated kiln: start it from an "
                "Administrator prompt (HCS and layer import refuse unelevated callers)");
  auto feature = host.CheckContainersFeature();
  if (!feature)
    return Fail(ErrorCode::kUnsupported,
                feature.error().message +
                    ". Enable the Containers feature (Server: Install-WindowsFeature Containers; "
                    "Windows 10/11: Enable-WindowsOptionalFeature -Online -FeatureName "
                    "Containers -All) and reboot");
  for (const char* privilege : {lw::kSeBackupPrivilege, lw::kSeRestorePrivilege}) {
    auto enabled = host.EnablePrivilege(privilege);
    if (!enabled)
      return Fail(ErrorCode::kUnsupported, std::string("cannot enable ") + privilege +
                                               " (needed to import and export "
                                               "Windows layers): " +
                                               enabled.error().message);
  }
  // Wanted but not required: SACLs in layers, scratch volumes (hcs-api.md 5.2, 5.7).
  (void)host.EnablePrivilege(lw::kSeSecurityPrivilege);
  (void)host.EnablePrivilege(lw::kSeManageVolumePrivilege);
  return CheckVersions(host, target);
}

}  // namespace kiln::builder::windows
