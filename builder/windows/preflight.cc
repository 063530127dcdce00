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

std::string Named(const core::WindowsVersion& v) {
  return core::WindowsBuildName(v.build) + " (" + Version(v) + ")";
}

// Microsoft's version-compatibility table (windows-layer-format.md 3): a utility VM runs the
// host's own build and every older one.
bool HyperVCompatible(const core::WindowsVersion& host, const core::WindowsVersion& image) {
  return host.major == image.major && host.minor == image.minor && image.build <= host.build;
}

std::string ProcessHostsPhrase(const core::WindowsVersion& image) {
  if (image.build < kMinimumHostBuild)
    return "a host of that same build, which kiln cannot use (it needs build " +
           std::to_string(kMinimumHostBuild) + " or later)";
  return "a host of " + ProcessIsolationHosts(image);
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

core::Result<Isolation> ChooseIsolation(const core::WindowsVersion& host,
                                        const core::Status& hyperv,
                                        const std::optional<core::WindowsVersion>& image,
                                        Isolation requested) {
  auto no_role = [&]() {
    return "the Hyper-V role, which this host lacks (" + hyperv.error().message + ")";
  };
  if (!image) {  // the base image does not say; HCS decides
    if (requested != Isolation::kHyperV) return Isolation::kProcess;
    if (!hyperv)
      return Fail(ErrorCode::kUnsupported,
                  "RUN steps with --isolation hyperv need " + no_role() + ": " + kEnableHyperV);
    return Isolation::kHyperV;
  }
  const bool process_ok = core::ProcessIsolationCompatible(host, *image);
  const bool hyperv_build_ok = HyperVCompatible(host, *image);
  const std::string both = "this host runs " + Named(host) + " but the image is for " +
                           Named(*image) + ": ";
  const std::string older_base =
      "use a base image for build " + std::to_string(host.build) + " or older";
  switch (requested) {
    case Isolation::kProcess:
      if (process_ok) return Isolation::kProcess;
      return Fail(ErrorCode::kUnsupported,
                  both + "process isolation (--isolation process) needs " +
                      ProcessHostsPhrase(*image) + ". Build on such a host, " +
                      (hyperv_build_ok ? "use --isolation hyperv (or auto) here with the Hyper-V "
                                         "role, or use a base image for build " +
                                             std::to_string(host.build)
                                       : "or use a base image for build " +
                                             std::to_string(host.build)) +
                      ".");
    case Isolation::kHyperV:
      if (!hyperv_build_ok)
        return Fail(ErrorCode::kUnsupported,
                    both + "Hyper-V isolation (--isolation hyperv) runs images of the host's build "
                           "or older. Build on a host of build " +
                        std::to_string(image->build) + " or newer, or " + older_base + ".");
      if (!hyperv)
        return Fail(ErrorCode::kUnsupported,
                    "RUN steps with --isolation hyperv need " + no_role() + ": " + kEnableHyperV +
                        (process_ok ? "; or use --isolation process, which runs this image here"
                                    : "") +
                        ".");
      return Isolation::kHyperV;
    case Isolation::kAuto:
      if (process_ok) return Isolation::kProcess;
      if (!hyperv_build_ok)
        return Fail(ErrorCode::kUnsupported,
                    both + "process isolation needs " + ProcessHostsPhrase(*image) +
                        ", and Hyper-V isolation a host of build " +
                        std::to_string(image->build) + " or newer. Build on such a host, or " +
                        older_base + ".");
      if (!hyperv)
        return Fail(ErrorCode::kUnsupported,
                    both + "process isolation needs " + ProcessHostsPhrase(*image) +
                        ", and Hyper-V isolation needs " + no_role() +
                        ". Build on such a host, or give this host the Hyper-V role: " +
                        kEnableHyperV + ".");
      return Isolation::kHyperV;
  }
  return Fail(ErrorCode::kInternal, "unknown isolation");
}

core::Result<Isolation> RunPreflight(lw::HostApi& host, const core::Platform& target,
                                     Isolation requested) {
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

  KILN_ASSIGN(core::WindowsVersion host_version, host.HostVersion());
  if (host_version.build < kMinimumHostBuild)
    return Fail(ErrorCode::kUnsupported,
                "this host runs " + core::WindowsBuildName(host_version.build) +
                    "; RUN steps for Windows images need Windows Server 2019 (build 17763) or "
                    "later (the Host Compute Service API kiln uses)");
  std::optional<core::WindowsVersion> image;
  if (!target.os_version.empty()) {
    image = core::WindowsVersion::Parse(target.os_version);
    if (!image)
      return Fail(ErrorCode::kInvalidInput,
                  "the image's os.version \"" + target.os_version + "\" is not a Windows version");
  }
  // The role is asked for only when Hyper-V isolation may be used.
  core::Status hyperv;
  const bool process_ok = !image || core::ProcessIsolationCompatible(host_version, *image);
  if (requested == Isolation::kHyperV || (requested == Isolation::kAuto && !process_ok))
    hyperv = host.CheckHyperV();
  return ChooseIsolation(host_version, hyperv, image, requested);
}

}  // namespace kiln::builder::windows
