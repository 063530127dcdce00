#include "builder/windows/hcs_documents.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/windows/command_line.h"

namespace kiln::builder::windows {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::ordered_json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

core::Result<Json> MappedDirectory(const RunMount& mount) {
  switch (mount.type) {
    case RunMount::Type::kBind:
    case RunMount::Type::kCache: {
      if (mount.source.empty())
        return Fail(ErrorCode::kInternal, "mount for " + mount.target + " has no host path");
      // A mapped directory shows everything below it; the builder refuses such mounts first.
      if (!mount.hidden.empty())
        return Fail(ErrorCode::kUnsupported, "mount for " + mount.target +
                                                 " would show files excluded by .dockerignore");
      KILN_ASSIGN(std::string target, ContainerPath(mount.target));
      Json j;
      j["HostPath"] = mount.source;
      j["ContainerPath"] = target;
      j["ReadOnly"] = mount.type == RunMount::Type::kBind && mount.read_only;
      return j;
    }
    case RunMount::Type::kTmpfs:
      return Fail(ErrorCode::kUnsupported,
                  "RUN --mount=type=tmpfs is not supported for Windows containers");
    case RunMount::Type::kSecret:
      return Fail(ErrorCode::kUnsupported,
                  "RUN --mount=type=secret is not supported for Windows containers yet");
  }
  return Fail(ErrorCode::kInternal, "unknown mount type");
}

}  // namespace

core::Result<std::string> ContainerPath(std::string_view path) {
  std::string out(path);
  for (char& c : out)
    if (c == '/') c = '\\';
  if (out.size() >= 2 && std::isalpha(static_cast<unsigned char>(out[0])) && out[1] == ':') {
    if (out.size() == 2) out += '\\';
    if (out[2] != '\\') return Fail(ErrorCode::kInvalidInput, "relative container path " + out);
    return out;
  }
  if (!out.empty() && out[0] == '\\') return "C:" + out;
  return Fail(ErrorCode::kInvalidInput,
              "container path \"" + std::string(path) + "\" is not absolute");
}

namespace {

core::Status CheckRunnable(const RunSpec& spec, const std::vector<HcsLayer>& layers) {
  if (spec.network_host)
    return Fail(ErrorCode::kUnsupported,
                "RUN --network=host is not supported for Windows containers (steps run without "
                "a network)");
  if (spec.rootfs.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no scratch volume");
  if (layers.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no parent layers");
  return {};
}

// The Container object both isolations share (hcsshim hcsdoc_wcow.go createWindowsContainerDocument):
// GuestOs.HostName (:167-170), Storage.Layers/Path (:314-372), MappedDirectories (:378-379,
// `host_paths` = where each mount's folder is seen), RegistryChanges with WaitToKillServiceTimeout
// (:424-434, 500-502).
core::Result<Json> ContainerJson(const RunSpec& spec, const std::vector<HcsLayer>& layers,
                                 const std::string& storage_path,
                                 const std::vector<std::string>& host_paths) {
  Json storage;
  storage["Layers"] = Json::array();
  for (const auto& layer : layers)
    storage["Layers"].push_back({{"Id", layer.id}, {"Path", layer.path}});
  storage["Path"] = storage_path;

  Json container;
  std::string hostname = spec.hostname.empty() ? spec.id.substr(0, 15) : spec.hostname;
  container["GuestOs"] = {{"HostName", hostname}};
  container["Storage"] = storage;
  if (!spec.mounts.empty()) {
    Json mapped = Json::array();
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
      KILN_ASSIGN(Json dir, MappedDirectory(spec.mounts[i]));
      if (i < host_paths.size()) dir["HostPath"] = host_paths[i];
      mapped.push_back(std::move(dir));
    }
    container["MappedDirectories"] = std::move(mapped);
  }
  Json wait_to_kill = {{"Key", {{"Hive", "System"}, {"Name", "ControlSet001\\Control"}}},
                       {"Name", "WaitToKillServiceTimeout"},
                       {"Type", "String"},
                       {"StringValue", "2147483647"}};
  container["RegistryChanges"] = {{"AddValues", Json::array({wait_to_kill})}};
  return container;
}

Json SchemaVersion21() { return {{"Major", 2}, {"Minor", 1}}; }

}  // namespace

core::Result<std::string> ComputeSystemDocument(const RunSpec& spec,
                                                const std::vector<HcsLayer>& layers,
                                                std::string_view owner) {
  KILN_TRY(CheckRunnable(spec, layers));
  std::string volume = spec.rootfs;
  if (!volume.ends_with('\\')) volume += '\\';
  KILN_ASSIGN(Json container, ContainerJson(spec, layers, volume, {}));

  Json doc;
  doc["Owner"] = std::string(owner);
  doc["SchemaVersion"] = SchemaVersion21();
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  doc["Container"] = std::move(container);
  return doc.dump(2) + "\n";
}

core::Result<UtilityVmPlan> PlanUtilityVm(const RunSpec& spec, const std::vector<HcsLayer>& layers,
                                          std::string os_files, std::string vm_scratch,
                                          std::string container_scratch, UtilityVmSize size) {
  if (layers.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no parent layers");
  if (spec.network_host)
    return Fail(ErrorCode::kUnsupported,
                "RUN --network=host is not supported for Windows containers (steps run without "
                "a network)");
  UtilityVmPlan plan;
  plan.os_files = std::move(os_files);
  plan.vm_scratch = std::move(vm_scratch);
  plan.container_scratch = std::move(container_scratch);
  plan.layers = layers;
  plan.size = size;
  plan.shares.push_back({"os", plan.os_files, true, true});
  unsigned counter = 0;
  auto next_name = [&] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "s%x", ++counter);  // vsmb.go:196, hexadecimal
    return std::string(buf);
  };
  for (const auto& layer : layers) {
    VsmbShare share{next_name(), layer.path, true, true};  // wcow_mount.go:429-431
    plan.guest_layers.push_back({layer.id, share.GuestPath()});
    plan.shares.push_back(std::move(share));
  }
  for (const auto& mount : spec.mounts) {
    KILN_TRY(MappedDirectory(mount));  // refuses tmpfs, secret, hidden paths
    bool read_only = mount.type == RunMount::Type::kBind && mount.read_only;
    VsmbShare share{next_name(), mount.source, read_only, false};
    plan.mount_paths.push_back(share.GuestPath());
    plan.shares.push_back(std::move(share));
  }
  return plan;
}

std::string UtilityVmDocument(const UtilityVmPlan& plan, std::string_view owner) {
  Json shares = Json::array();
  for (const auto& share : plan.shares) {
    // DefaultVSMBOptions (vsmb.go:55-66): read-only shares get ShareRead, CacheIo,
    // PseudoOplocks; layers and OS files also TakeBackupPrivilege (create_wcow.go:580-581,
    // wcow_mount.go:429-430).
    Json options = Json::object();
    if (share.read_only) {
      options["ReadOnly"] = true;
      options["ShareRead"] = true;
      options["CacheIo"] = true;
    }
    if (share.backup_privilege) options["TakeBackupPrivilege"] = true;
    if (share.read_only) options["PseudoOplocks"] = true;
    shares.push_back({{"Name", share.name}, {"Path", share.host_path}, {"Options", options}});
  }
  Json attachments;
  attachments["0"] = {{"Type", "VirtualDisk"}, {"Path", plan.vm_scratch}};
  attachments[std::to_string(kContainerScratchLun)] = {{"Type", "VirtualDisk"},
                                                       {"Path", plan.container_scratch}};
  Json devices;
  devices["Scsi"] = {{std::string(kScsiController0), {{"Attachments", attachments}}}};
  devices["HvSocket"] = {
      {"HvSocketConfig", {{"DefaultBindSecurityDescriptor", "D:P(A;;FA;;;SY)(A;;FA;;;BA)"}}}};
  devices["VirtualSmb"] = {{"Shares", shares}, {"DirectFileMappingInMB", 1024}};

  Json gns = {{"Key", {{"Hive", "System"}, {"Name", "CurrentControlSet\\Services\\gns"}}},
              {"Name", "EnableCompartmentNamespace"},
              {"Type", "DWord"},
              {"DWordValue", 1}};
  const uint64_t memory_mb = (plan.size.memory_mb + 1) & ~uint64_t{1};  // normalize.go:26
  Json vm;
  vm["StopOnReset"] = true;
  vm["Chipset"] = {{"Uefi",
                    {{"BootThis",
                      {{"DeviceType", "VmbFs"},
                       {"DevicePath", "\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}}}}}};
  vm["ComputeTopology"] = {
      {"Memory", {{"SizeInMB", memory_mb}, {"AllowOvercommit", true}, {"EnableHotHint", true}}},
      {"Processor", {{"Count", plan.size.processors}}}};
  vm["Devices"] = std::move(devices);
  vm["RegistryChanges"] = {{"AddValues", Json::array({gns})}};

  Json doc;
  doc["Owner"] = std::string(owner);
  doc["SchemaVersion"] = SchemaVersion21();
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  doc["VirtualMachine"] = std::move(vm);
  return doc.dump(2) + "\n";
}

std::string MountScratchRequest() {
  Json doc;
  doc["GuestRequest"] = {{"ResourceType", "MappedVirtualDisk"},
                         {"RequestType", "Add"},
                         {"Settings",
                          {{"ContainerPath", std::string(kContainerScratchInVm)},
                           {"Lun", kContainerScratchLun}}}};
  return doc.dump(2) + "\n";
}

std::string CombineLayersRequest(const UtilityVmPlan& plan) {
  Json layers = Json::array();
  for (const auto& layer : plan.guest_layers)
    layers.push_back({{"Id", layer.id}, {"Path", layer.path}});
  Json doc;
  // FilterType is left out for WCIFS, as hcsshim does for older guests (combine_layers.go:47-49).
  doc["GuestRequest"] = {{"ResourceType", "CombinedLayers"},
                         {"RequestType", "Add"},
                         {"Settings",
                          {{"ContainerRootPath", std::string(kContainerScratchInVm)},
                           {"Layers", layers}}}};
  return doc.dump(2) + "\n";
}

core::Result<std::string> HostedContainerDocument(const RunSpec& spec, const UtilityVmPlan& plan,
                                                  std::string_view vm_id,
                                                  std::string_view owner) {
  KILN_ASSIGN(Json container, ContainerJson(spec, plan.guest_layers,
                                            std::string(kContainerScratchInVm), plan.mount_paths));
  Json doc;
  doc["Owner"] = std::string(owner);
  doc["SchemaVersion"] = SchemaVersion21();
  doc["HostingSystemId"] = std::string(vm_id);
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  doc["HostedSystem"] = {{"SchemaVersion", SchemaVersion21()}, {"Container", container}};
  return doc.dump(2) + "\n";
}

core::Result<std::string> ProcessParametersDocument(const RunSpec& spec) {
  std::string command_line = spec.command_line;
  if (command_line.empty() && !spec.argv.empty()) command_line = JoinWindowsCommandLine(spec.argv);
  if (command_line.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no command");
  std::string workdir = "C:\\";
  if (!spec.working_dir.empty()) {
    KILN_ASSIGN(workdir, ContainerPath(spec.working_dir));
  }

  // Windows environment names are case-insensitive: a later K=V replaces an earlier k=v.
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& kv : spec.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    std::erase_if(env, [&](const auto& e) { return Lower(e.first) == Lower(name); });
    if (!value.empty()) env.emplace_back(std::move(name), std::move(value));
  }
  Json environment = Json::object();
  for (auto& [k, v] : env) environment[k] = v;

  Json doc;
  doc["CommandLine"] = command_line;
  doc["WorkingDirectory"] = workdir;
  if (!spec.user.empty()) doc["User"] = spec.user;
  // No Environment at all leaves HCS's default in place (an empty object might mean "none").
  if (!environment.empty()) doc["Environment"] = std::move(environment);
  doc["EmulateConsole"] = false;
  doc["CreateStdInPipe"] = false;
  doc["CreateStdOutPipe"] = true;
  doc["CreateStdErrPipe"] = true;
  return doc.dump(2) + "\n";
}

core::Result<ProcessStatus> ParseProcessStatus(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return Fail(ErrorCode::kRuntime,
                "HCS returned an unreadable process status: " + std::string(text.substr(0, 200)));
  ProcessStatus s;
  auto number = [&](const char* key, auto& out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number_integer())
      out = it->template get<std::decay_t<decltype(out)>>();
  };
  number("ProcessId", s.process_id);
  number("ExitCode", s.exit_code);
  number("LastWaitResult", s.last_wait_result);
  if (auto it = j.find("Exited"); it != j.end() && it->is_boolean()) s.exited = it->get<bool>();
  return s;
}

}  // namespace kiln::builder::windows
