// The JSON documents of one RUN step (HCS schema 2.1, hcs-api.md 2): the ComputeSystem of a
// process-isolated container, its ProcessParameters, and the ProcessStatus HCS reports back.
// Platform-neutral; golden-tested on Linux.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/executor.h"
#include "core/error.h"

namespace kiln::builder::windows {

// A read-only parent layer as HCS sees it: Id = NameToGuid(folder name), Path = the folder.
struct HcsLayer {
  std::string id;
  std::string path;
};

// The ComputeSystem document: schema 2.1, process isolation (Container), terminate on last handle
// close, Storage.Layers (nearest parent first) and Storage.Path (the scratch volume, with the
// trailing backslash HCS wants), bind and cache mounts as MappedDirectories, no Networking (no
// network), and the WaitToKillServiceTimeout registry value hcsshim always sets. Fails with
// kUnsupported for mounts Windows containers cannot take (tmpfs, secret) and RUN --network.
core::Result<std::string> ComputeSystemDocument(const RunSpec& spec,
                                                const std::vector<HcsLayer>& layers,
                                                std::string_view owner);

// ProcessParameters: CommandLine (spec.command_line, else argv joined with Windows quoting),
// WorkingDirectory (default C:\), User (omitted when empty: the image default), Environment
// (names compared case-insensitively, the last value wins, empty values dropped as hcsshim
// does; omitted when empty), stdout and stderr pipes, no stdin, no console.
core::Result<std::string> ProcessParametersDocument(const RunSpec& spec);

// A container path as HCS wants it: backslashes, and C: in front of a rooted path ("/app" ->
// "C:\app"). Fails on relative paths.
core::Result<std::string> ContainerPath(std::string_view path);

// ProcessStatus {ProcessId, Exited, ExitCode, LastWaitResult}. The exit code is valid only when
// Exited is true and LastWaitResult is 0.
struct ProcessStatus {
  uint32_t process_id = 0;
  bool exited = false;
  uint32_t exit_code = 0;
  int32_t last_wait_result = 0;
  bool exit_code_valid() const { return exited && last_wait_result == 0; }
};
core::Result<ProcessStatus> ParseProcessStatus(std::string_view json);

}  // namespace kiln::builder::windows
