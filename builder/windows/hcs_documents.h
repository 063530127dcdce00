// The JSON documents of one RUN step (HCS schema 2.1, hcs-api.md 2): the ComputeSystem of a
// process-isolated container; for Hyper-V isolation the utility VM, the two guest requests that
// mount the scratch disk and combine the layers in it, and the container hosted in it; the
// ProcessParameters, and the ProcessStatus HCS reports back. Platform-neutral; golden-tested on
// Linux, each field traced to the hcsshim code that builds it (docs/windows.md "Hyper-V
// isolation", tests/builder/windows_hcs_documents_test.cc).
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

// --- Hyper-V isolation (hcsshim's "v2 Xenon" path without the external GCS bridge: HCS itself
// talks to the utility VM's guest agent, internal/uvm/create.go:400-421, modify.go:15-17) ---

// Where the guest sees VSMB share <name> (hcsshim internal/uvm/vsmb.go:27, 201).
inline constexpr std::string_view kVsmbSharePrefix =
    "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";
// The first SCSI controller of a utility VM (internal/protocol/guestrequest/types.go:50-51).
inline constexpr std::string_view kScsiController0 = "df6d0690-79e5-55b6-a5ec-c1e2f77f580a";
// The container scratch disk sits on LUN 1 (LUN 0 is the utility VM's own scratch,
// create_wcow.go:601-605) and is mounted in the guest at the first SCSI mount path
// (guestpath/paths.go:45 `c:\mounts\scsi\m%d`, index 0: uvm/scsi/mount.go:146, 154).
inline constexpr uint32_t kContainerScratchLun = 1;
inline constexpr std::string_view kContainerScratchInVm = "c:\\mounts\\scsi\\m0";

// One VSMB share of the utility VM.
struct VsmbShare {
  std::string name;       // "os", "s1", "s2", ...
  std::string host_path;  // a folder on the host
  bool read_only = true;
  bool backup_privilege = false;  // TakeBackupPrivilege (OS files and layers)
  std::string GuestPath() const { return std::string(kVsmbSharePrefix) + name; }
};

// What the utility VM of one step is made of.
struct UtilityVmPlan {
  std::string os_files;                 // <uvm layer>\UtilityVM\Files, the "os" share
  std::string vm_scratch;               // <scratch>\vm\sandbox.vhdx, SCSI 0:0
  std::string container_scratch;        // <scratch>\sandbox.vhdx, SCSI 0:1
  std::vector<HcsLayer> layers;         // host folders, nearest first
  std::vector<VsmbShare> shares;        // "os", then one per layer, then one per mount
  std::vector<HcsLayer> guest_layers;   // the layers as the guest sees them (share paths)
  std::vector<std::string> mount_paths; // per RunSpec mount: its share's guest path
  UtilityVmSize size;
};

// Shares: "os" for the utility VM's OS files (create_wcow.go:580-586), then "s1", "s2", ... in
// the order hcsshim numbers them (vsmb.go:195-196): one per layer (wcow_mount.go:427-437), then
// one per bind/cache mount (hcsdoc_wcow.go:78-86). Fails like ComputeSystemDocument on mounts
// and networking Windows containers cannot have.
core::Result<UtilityVmPlan> PlanUtilityVm(const RunSpec& spec, const std::vector<HcsLayer>& layers,
                                          std::string os_files, std::string vm_scratch,
                                          std::string container_scratch, UtilityVmSize size);

// The utility VM's ComputeSystem: schema 2.1, VirtualMachine booted by UEFI from the "os" VSMB
// share (VmbFs), memory/processors from plan.size (memory aligned up to an even number of MB,
// hcsshim vmutils/normalize.go:25-35), both scratch disks on SCSI controller 0, every share.
std::string UtilityVmDocument(const UtilityVmPlan& plan, std::string_view owner);

// HcsModifyComputeSystem guest requests: mount the container scratch disk (LUN 1) at
// kContainerScratchInVm (uvm/scsi/backend.go:141-147, 168-194), then combine the layers on it
// (uvm/combine_layers.go:68-80).
std::string MountScratchRequest();
std::string CombineLayersRequest(const UtilityVmPlan& plan);

// The container hosted in the utility VM: ComputeSystem with HostingSystemId and HostedSystem
// {SchemaVersion 2.1, Container}; the Container is the process-isolation one with the guest's
// paths: Storage.Layers = the layer shares, Storage.Path = kContainerScratchInVm, mapped
// directories from their shares (hcsoci/create.go:311-316, hcsdoc_wcow.go:349-361,
// uvm/create.go:409-415).
core::Result<std::string> HostedContainerDocument(const RunSpec& spec, const UtilityVmPlan& plan,
                                                  std::string_view vm_id, std::string_view owner);

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
