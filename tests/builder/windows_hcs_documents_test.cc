// The HCS JSON documents of a RUN step, compared byte for byte with golden files
// (UPDATE_GOLDEN=1 rewrites them), and Windows command-line quoting.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "builder/windows/command_line.h"
#include "builder/windows/hcs_documents.h"
#include "tests/support/test_env.h"

namespace bw = kiln::builder::windows;
using kiln::builder::RunMount;
using kiln::builder::RunSpec;

namespace {

void CheckGolden(const std::string& name, const std::string& actual) {
  auto path = kiln::testing::SourceDir() / "tests/builder/testdata/hcs" / name;
  if (kiln::testing::UpdateGolden()) kiln::testing::WriteFile(path, actual);
  CHECK(kiln::testing::ReadFile(path) == actual);
}

RunSpec SampleSpec() {
  RunSpec spec;
  spec.id = "kiln-3f2a9c1b7d4e5f60";
  spec.rootfs = "\\\\?\\Volume{3f0c9a52-1d2e-4b7a-9c61-2a5f8d7e4b10}";
  spec.layer_folders = {"C:\\ProgramData\\kiln\\windowsfilter\\layers\\aaaa",
                        "C:\\ProgramData\\kiln\\windowsfilter\\layers\\base"};
  spec.command_line = "cmd /S /C mkdir C:\\app && echo built> C:\\app\\stamp.txt";
  spec.env = {"PATH=C:\\Windows\\system32;C:\\Windows", "BUILD_ID=42", "path=C:\\tools",
              "EMPTY=", "NOVALUE"};
  spec.working_dir = "/app";
  spec.user = "ContainerAdministrator";
  return spec;
}

std::vector<bw::HcsLayer> SampleLayers() {
  return {{"0c8a7f2e-3b61-5d7e-9a43-6f1e2d9b0a11",
           "C:\\ProgramData\\kiln\\windowsfilter\\layers\\aaaa"},
          {"5e1f0c3d-8b2a-5c4d-8e9f-0a1b2c3d4e5f",
           "C:\\ProgramData\\kiln\\windowsfilter\\layers\\base"}};
}

RunMount Mount(RunMount::Type type, std::string source, std::string target) {
  RunMount m;
  m.type = type;
  m.source = std::move(source);
  m.target = std::move(target);
  m.read_only = true;
  return m;
}

}  // namespace

TEST_CASE("the ComputeSystem document is a schema 2.1 process-isolated container", "[unit]") {
  auto doc = bw::ComputeSystemDocument(SampleSpec(), SampleLayers(), "kiln");
  REQUIRE(doc);
  CheckGolden("compute_system.json", *doc);
}

TEST_CASE("bind and cache mounts become mapped directories", "[unit]") {
  RunSpec spec = SampleSpec();
  spec.hostname = "builder";
  spec.mounts = {Mount(RunMount::Type::kBind, "C:\\ctx\\step3", "C:/src"),
                 Mount(RunMount::Type::kCache, "C:\\kiln\\cache\\nuget",
                       "/Users/ContainerAdministrator/.nuget")};
  auto doc = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE(doc);
  CheckGolden("compute_system_mounts.json", *doc);
}

TEST_CASE("mounts and networking Windows containers cannot have are refused", "[unit]") {
  RunSpec spec = SampleSpec();
  spec.mounts = {Mount(RunMount::Type::kTmpfs, "", "C:\\tmp")};
  auto tmpfs = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE_FALSE(tmpfs);
  CHECK(tmpfs.error().code == kiln::core::ErrorCode::kUnsupported);
  spec.mounts = {Mount(RunMount::Type::kSecret, "C:\\s", "C:\\run\\secrets\\x")};
  CHECK_FALSE(bw::ComputeSystemDocument(spec, SampleLayers(), "kiln"));
  spec.mounts.clear();
  spec.network_host = true;
  auto network = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE_FALSE(network);
  CHECK(network.error().message.find("--network=host") != std::string::npos);
}

TEST_CASE("ProcessParameters carry the command, directory, user and environment", "[unit]") {
  auto doc = bw::ProcessParametersDocument(SampleSpec());
  REQUIRE(doc);
  CheckGolden("process_parameters.json", *doc);
  RunSpec exec = SampleSpec();
  exec.command_line.clear();
  exec.argv = {"powershell", "-Command", "Write-Host \"hi there\""};
  exec.user.clear();
  exec.working_dir.clear();
  auto exec_doc = bw::ProcessParametersDocument(exec);
  REQUIRE(exec_doc);
  CheckGolden("process_parameters_exec.json", *exec_doc);
}

TEST_CASE("container paths get backslashes and a drive", "[unit]") {
  CHECK(*bw::ContainerPath("/app/bin") == "C:\\app\\bin");
  CHECK(*bw::ContainerPath("D:/data") == "D:\\data");
  CHECK(*bw::ContainerPath("c:") == "c:\\");
  CHECK_FALSE(bw::ContainerPath("app"));
  CHECK_FALSE(bw::ContainerPath("C:app"));
}

TEST_CASE("ProcessStatus gives the exit code only when it is valid", "[unit]") {
  auto s = bw::ParseProcessStatus(
      R"({"ProcessId":12,"Exited":true,"ExitCode":3221225477,"LastWaitResult":0})");
  REQUIRE(s);
  CHECK(s->exit_code == 3221225477u);
  CHECK(s->exit_code_valid());
  auto running = bw::ParseProcessStatus(R"({"ProcessId":12,"Exited":false})");
  REQUIRE(running);
  CHECK_FALSE(running->exit_code_valid());
  auto waited_badly = bw::ParseProcessStatus(R"({"Exited":true,"ExitCode":0,"LastWaitResult":5})");
  CHECK_FALSE(waited_badly->exit_code_valid());
  CHECK_FALSE(bw::ParseProcessStatus("not json"));
}

TEST_CASE("arguments are quoted by the CommandLineToArgvW rules", "[unit]") {
  struct Row {
    const char* in;
    const char* out;
  };
  for (Row r : {Row{"plain", "plain"}, Row{"", "\"\""}, Row{"two words", "\"two words\""},
                Row{"say \"hi\"", "\"say \\\"hi\\\"\""}, Row{"C:\\dir\\", "C:\\dir\\"},
                Row{"C:\\my dir\\", "\"C:\\my dir\\\\\""}, Row{"a\\\"b", "\"a\\\\\\\"b\""}}) {
    INFO(r.in);
    CHECK(bw::QuoteWindowsArgument(r.in) == r.out);
  }
  CHECK(bw::WindowsShellCommandLine({}, "echo hi > C:\\out.txt") ==
        "cmd /S /C echo hi > C:\\out.txt");
  CHECK(bw::WindowsShellCommandLine({"powershell", "-Command"}, "Get-ChildItem") ==
        "powershell -Command Get-ChildItem");
  CHECK(bw::JoinWindowsCommandLine({"C:\\Program Files\\x.exe", "/q"}) ==
        "\"C:\\Program Files\\x.exe\" /q");
}

// --- Hyper-V isolation. Each field of the goldens comes from the hcsshim code cited beside it
// (microsoft/hcsshim @7c9ff7f; docs/windows.md "Hyper-V isolation" has the same list). ---
namespace {

bw::UtilityVmPlan SamplePlan(const RunSpec& spec) {
  auto plan = bw::PlanUtilityVm(
      spec, SampleLayers(), "C:\\ProgramData\\kiln\\windowsfilter\\layers\\base\\UtilityVM\\Files",
      "C:\\ProgramData\\kiln\\windowsfilter\\scratch\\s1\\vm\\sandbox.vhdx",
      "C:\\ProgramData\\kiln\\windowsfilter\\scratch\\s1\\sandbox.vhdx", {1024, 2});
  REQUIRE(plan);
  return *plan;
}

}  // namespace

TEST_CASE("the utility VM document boots from the base layer's UtilityVM", "[unit]") {
  // Owner, SchemaVersion 2.1, ShouldTerminateOnLastHandleClosed: uvm/create_wcow.go:312-315.
  // VirtualMachine.StopOnReset, RegistryChanges: :316-318; the gns EnableCompartmentNamespace
  //   value hcsshim adds unless DisableCompartmentNamespace: :257-269.
  // ComputeTopology.Memory {SizeInMB, AllowOvercommit, EnableHotHint}: :319-328 with the
  //   defaults of create.go:231-243 (1024 MB, AllowOvercommit true); SizeInMB aligned to even:
  //   vm/vmutils/normalize.go:25-35. Processor.Count: create_wcow.go:273-277, default 2
  //   (vmutils/normalize.go:17-22).
  // Devices.HvSocket.HvSocketConfig.DefaultBindSecurityDescriptor: :332-339 (the empty
  //   ServiceTable is omitted by Go's omitempty; kiln has no log forwarding, :360-367).
  // Devices.VirtualSmb.DirectFileMappingInMB 1024: :341-343. Shares: "os" with
  //   DefaultVSMBOptions(true) + TakeBackupPrivilege: :580-586, vsmb.go:55-66; one per layer
  //   named s1, s2... with the same options: layers/wcow_mount.go:427-437, vsmb.go:190-231.
  // Devices.Scsi[controller 0] (guestrequest/types.go:50-51) attachment "0" = the VM's scratch
  //   (create_wcow.go:601-605), "1" = the container scratch, which hcsshim attaches after start
  //   with HcsModifyComputeSystem (uvm/scsi/backend.go:62-73) and kiln lists at creation.
  // Chipset.Uefi.BootThis {DeviceType VmbFs, DevicePath \EFI\Microsoft\Boot\bootmgfw.efi}:
  //   create_wcow.go:588-595 with wclayer/legacy.go:37 BootDirRelativePath.
  RunSpec spec = SampleSpec();
  CheckGolden("utility_vm.json", bw::UtilityVmDocument(SamplePlan(spec), "kiln"));
}

TEST_CASE("the guest requests mount the scratch disk and combine the layers on it", "[unit]") {
  // MappedVirtualDisk {ContainerPath, Lun}: uvm/scsi/backend.go:141-147, 168-194; the path is
  //   guestpath/paths.go:45 with mount index 0 (uvm/scsi/mount.go:145-155).
  CheckGolden("hyperv_mount_scratch.json", bw::MountScratchRequest());
  // CombinedLayers {ContainerRootPath, Layers: the VSMB paths}: uvm/combine_layers.go:68-80,
  //   layers/wcow_mount.go:459-482; FilterType omitted for WCIFS: combine_layers.go:47-49.
  CheckGolden("hyperv_combine_layers.json", bw::CombineLayersRequest(SamplePlan(SampleSpec())));
}

TEST_CASE("the hosted container is the process-isolation container seen from the guest",
          "[unit]") {
  // ComputeSystem {Owner, SchemaVersion 2.1, HostingSystemId, ShouldTerminateOnLastHandleClosed,
  //   HostedSystem}: uvm/create.go:409-415. HostedSystem {SchemaVersion 2.1, Container}:
  //   hcsoci/create.go:311-316. Container.Storage.Layers = the guest's layer paths, Path = the
  //   scratch mount: hcsoci/hcsdoc_wcow.go:349-361; MappedDirectories.HostPath = the mount's VSMB
  //   path: :75-86; GuestOs, RegistryChanges as for process isolation: :167-170, 424-434,
  //   500-502.
  RunSpec spec = SampleSpec();
  spec.mounts = {Mount(RunMount::Type::kBind, "C:\\ctx\\step3", "C:/src"),
                 Mount(RunMount::Type::kCache, "C:\\kiln\\cache\\nuget",
                       "/Users/ContainerAdministrator/.nuget")};
  auto plan = SamplePlan(spec);
  auto doc = bw::HostedContainerDocument(spec, plan, "kiln-3f2a9c1b7d4e5f60@vm", "kiln");
  REQUIRE(doc);
  CheckGolden("hyperv_container.json", *doc);
  // The mounts' shares are in the VM: s3 read-only (bind), s4 writable (cache).
  CheckGolden("utility_vm_mounts.json", bw::UtilityVmDocument(plan, "kiln"));
  // Mounts Windows containers cannot have are refused here too.
  spec.mounts = {Mount(RunMount::Type::kTmpfs, "", "C:\\tmp")};
  CHECK_FALSE(bw::PlanUtilityVm(spec, SampleLayers(), "o", "v", "c", {}));
}

TEST_CASE("the process-isolation documents do not change with Hyper-V support", "[unit]") {
  // The goldens above this section are unchanged byte for byte (git log of testdata/hcs); this
  // checks the one thing the shared Container code could add: no HostingSystemId, no VM.
  auto doc = bw::ComputeSystemDocument(SampleSpec(), SampleLayers(), "kiln");
  REQUIRE(doc);
  CHECK(doc->find("HostingSystemId") == std::string::npos);
  CHECK(doc->find("VMSMB") == std::string::npos);
}
