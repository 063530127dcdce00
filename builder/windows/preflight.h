// Pre-flight of the Windows executor (before any build work; hcs-api.md 5): elevation, the
// Containers feature, the backup/restore privileges layer import and export need, and whether
// this host's Windows build can run the image's build with process isolation
// (windows-layer-format.md 3, core::ProcessIsolationCompatible). Platform-neutral over HostApi.
#pragma once

#include <string>

#include "core/error.h"
#include "core/platform.h"
#include "layers/windows/host_api.h"

namespace kiln::builder::windows {

// kiln needs computecore.dll: Windows Server 2019 / Windows 10 1809 (build 17763) or later.
inline constexpr uint32_t kMinimumHostBuild = 17763;

// Runs the checks in order and returns the first failure (kUnsupported, one clear sentence that
// says what to do). `target` is the stage's platform; its os_version is the image's build.
core::Status RunPreflight(layers::windows::HostApi& host, const core::Platform& target);

// Which hosts can run RUN steps of an image of `image` build with process isolation, for
// messages ("Windows Server 2022 (ltsc2022, build 20348) or a newer build such as ...").
std::string ProcessIsolationHosts(const core::WindowsVersion& image);

}  // namespace kiln::builder::windows
