// Pre-flight of the Windows executor (before any build work; hcs-api.md 5): elevation, the
// Containers feature, the backup/restore privileges layer import and export need, and the
// isolation rule: which isolation (process or Hyper-V) can run the image's build on this host
// (windows-layer-format.md 3, core::ProcessIsolationCompatible, docs/windows.md "Isolation").
// Platform-neutral over HostApi.
#pragma once

#include <optional>
#include <string>

#include "builder/executor.h"
#include "core/error.h"
#include "core/platform.h"
#include "layers/windows/host_api.h"

namespace kiln::builder::windows {

// kiln needs computecore.dll: Windows Server 2019 / Windows 10 1809 (build 17763) or later.
inline constexpr uint32_t kMinimumHostBuild = 17763;

// The isolation rule, pure (docs/windows.md "Isolation"; the table is
// tests/builder/testdata/hcs/isolation_table.txt):
//  - process isolation runs `image` when core::ProcessIsolationCompatible(host, image);
//  - Hyper-V isolation runs it when the host has the Hyper-V role (`hyperv` ok) and
//    image build <= host build (Microsoft's version-compatibility table: a host runs its own and
//    older builds in a utility VM);
//  - kAuto takes process where allowed, else Hyper-V where allowed, else fails.
// An image without os.version (nullopt) is left to HCS: process for kAuto/kProcess.
// Errors are kUnsupported, one sentence naming both builds and the ways out.
core::Result<Isolation> ChooseIsolation(const core::WindowsVersion& host,
                                        const core::Status& hyperv,
                                        const std::optional<core::WindowsVersion>& image,
                                        Isolation requested);

// Runs the checks in order and returns the first failure (kUnsupported, one clear sentence that
// says what to do), else the isolation to use. `target` is the stage's platform; its os_version
// is the image's build. The Hyper-V role is asked for only when process isolation cannot run
// the image or `requested` is kHyperV.
core::Result<Isolation> RunPreflight(layers::windows::HostApi& host, const core::Platform& target,
                                     Isolation requested = Isolation::kAuto);

// Which hosts can run RUN steps of an image of `image` build with process isolation, for
// messages ("Windows Server 2022 (ltsc2022, build 20348) or a newer build such as ...").
std::string ProcessIsolationHosts(const core::WindowsVersion& image);

// What to do to get the Hyper-V role, with the nested-virtualisation note for cloud VMs.
inline constexpr const char* kEnableHyperV =
    "enable it (Server: Install-WindowsFeature Hyper-V; Windows 10/11: "
    "Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All) and reboot; on a "
    "cloud VM this needs a VM size with nested virtualisation";

}  // namespace kiln::builder::windows
