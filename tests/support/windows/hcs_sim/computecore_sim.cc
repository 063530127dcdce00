// Simulated computecore.dll (test-only): the Host Compute Service functions kiln resolves in
// builder/windows/computecore_api_win.cc, with the signatures of Microsoft's computecore.h
// (mingw-w64's copy, included below, so a signature that drifts from the documented one does not
// compile). Each export names its documentation page. Wine is not Windows; nothing here is HCS.
//
// What "running a process-isolated container" means here:
//   HcsCreateComputeSystem  validates the ComputeSystem document against the schema fields kiln
//                           uses (SchemaReference: ComputeSystem, Container, Storage, Layer,
//                           GuestOs, RegistryChanges) and checks that Storage.Path is the volume
//                           of a scratch that vmcompute.dll (the simulated one) activated and
//                           prepared on exactly Storage.Layers, each Id NameToGuid(folder name).
//   HcsStartComputeSystem   "mounts" the scratch: its materialised root (<scratch>\volume) is
//                           renamed to <state>\drive, which the container drive letter
//                           (HCSSIM_DRIVE, default K) shows through a dosdevices symlink of the
//                           test's wine prefix. Wine cannot give a process its own C:, so C:\ in
//                           CommandLine and WorkingDirectory is rewritten to K:\ (and nothing else
//                           is: an absolute C:\ path inside a batch file would reach the prefix).
//   HcsCreateProcess        validates ProcessParameters and starts CommandLine with wine's own
//                           cmd.exe and tools, in a job object per compute system, stdout and
//                           stderr on anonymous pipes handed back in HCS_PROCESS_INFORMATION.
//   exit                    HcsWaitForProcessExit, the ProcessExited callback (HcsSetProcessCallback)
//                           and HcsGetProcessProperties all report ProcessStatus JSON.
//   HcsShutDown/Terminate   kill the job, wait for its processes, rename the drive folder back.
// Hyper-V isolation (hcsshim's documents for a utility VM, the way kiln sends them):
//   HcsCreateComputeSystem  a VirtualMachine document: UEFI boot from a VmbFs file under the VSMB
//                           share "os" (the base layer's UtilityVM\Files), memory (even MB) and
//                           processors (at most the host's), SCSI LUN 0 a copy of the base's
//                           SystemTemplate.vhdx, other LUNs scratch layers' sandbox.vhdx, VSMB
//                           shares of existing folders, HvSocket descriptors in SDDL.
//   HcsStartComputeSystem   the VM opens its disks: refused while the host has one attached
//                           (ActivateLayer) or when it was not granted (GrantVmAccess). Nothing
//                           boots; state\vms\ records the VM and its disks.
//   HcsModifyComputeSystem  guest requests: MappedVirtualDisk (a LUN at a guest path),
//                           CombinedLayers (VSMB layer paths over a mounted scratch; the layers
//                           must be those the scratch was created on).
//   HcsCreateComputeSystem  HostedSystem + HostingSystemId: a Container whose Storage.Path is a
//                           combined root of that running VM and whose layers are its VSMB paths;
//                           it then runs exactly like a process-isolated one (the scratch behind
//                           the mounted LUN is the drive; wine's cmd.exe). A VM that stops takes
//                           its hosted containers with it.
//   HcsGetProcessInfo       the process's stdio again (hcsshim's recovery when the wait after
//                           HcsCreateProcess fails; HCSSIM_FAIL=HcsWaitForOperationResultAndProcessInfo
//                           makes that wait fail while the process runs).
// Operations complete before the call that starts them returns (allowed by the contract: the
// caller waits on the operation either way).
// Build flags: -DHCSSIM_WS2019 leaves out HcsWaitForProcessExit (absent before Windows Server
// 2022), so kiln takes its callback path. Env HCSSIM_IMAGE_MISMATCH=1 makes HcsCreateComputeSystem
// fail the way HCS refuses an image of another build (HCS_E_IMAGE_MISMATCH with a ResultError).
// HCSSIM_HANG=Name leaves that function's operation pending until HcsCancelOperation.
#include "tests/support/windows/hcs_sim/hcssim.h"

// clang-format off
#include <computecore.h>
// clang-format on

#include <sddl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>

using namespace hcssim;
using Json = nlohmann::json;

namespace {

const char* const kDll = "computecore";

struct Process;

struct Op {
  HANDLE done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  bool started = false;
  HCS_OPERATION_TYPE type = HcsOperationTypeNone;
  HRESULT hr = kHcsOperationNotStarted;
  std::string result;
  Process* process = nullptr;  // HcsCreateProcess / HcsGetProcessInfo: whose information it carries
  void* context = nullptr;
  HCS_OPERATION_COMPLETION callback = nullptr;
};

struct System {
  std::string id;
  // A process-isolated container, a utility VM (Hyper-V isolation) or a container hosted in one.
  enum Kind { kContainer, kVm, kHosted } kind = kContainer;
  std::wstring scratch;  // containers: the scratch layer folder whose volume is the container's C:
  bool terminate_on_close = false;
  enum { kCreated, kRunning, kStopped } state = kCreated;
  HANDLE job = nullptr;
  std::vector<HANDLE> processes;  // duplicated handles, for the stop
  // utility VM
  std::wstring uvm;                              // <base>\UtilityVM (parent of the "os" share)
  uint64_t memory_mb = 0, processors = 0;
  std::map<std::string, std::wstring> shares;    // VSMB share name -> host folder
  std::map<int, std::wstring> disks;             // SCSI LUN -> VHD
  std::map<std::string, int> mounts;             // guest path (lower case) -> LUN
  std::map<std::string, std::string> combined;   // guest root (lower case) -> layer chain
  // hosted container
  std::string hosting;  // the utility VM's id (HostingSystemId)
};

struct Process {
  System* system = nullptr;
  HANDLE handle = nullptr;
  DWORD pid = 0;
  std::mutex mu;
  HANDLE stop = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  HANDLE watcher = nullptr;
  HCS_EVENT_CALLBACK callback = nullptr;
  void* context = nullptr;
  bool closing = false;
  // stdio: ours until a wait ...AndProcessInfo hands them to the caller (who closes them);
  // HcsCloseProcess closes them if that never happened.
  HCS_PROCESS_INFORMATION info{};
  bool handed_out = false;
};

std::mutex g_mu;
std::map<std::string, System*> g_systems;  // by id

wchar_t* Alloc(const std::string& utf8) {
  std::wstring w = Widen(utf8);
  auto* p = static_cast<wchar_t*>(LocalAlloc(LMEM_FIXED, (w.size() + 1) * sizeof(wchar_t)));
  if (p) std::memcpy(p, w.c_str(), (w.size() + 1) * sizeof(wchar_t));
  return p;
}

// ResultError (SchemaReference.md): what HCS puts in a failed operation's result document.
// ErrorMessage is the HRESULT's system text (as HCS fills it); the specific reason goes into
// ErrorEvents, as HCS's event messages do.
std::string ResultError(HRESULT hr, const std::string& message) {
  wchar_t* text = nullptr;
  FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                     FORMAT_MESSAGE_IGNORE_INSERTS,
                 nullptr, static_cast<DWORD>(hr), 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string system = text ? Narrow(text) : "HCS error " + Hex(hr);
  if (text) LocalFree(text);
  while (!system.empty() && (system.back() == '\n' || system.back() == '\r' || system.back() == '.'))
    system.pop_back();
  Json j;
  j["Error"] = static_cast<int32_t>(hr);
  j["ErrorMessage"] = system;
  j["ErrorEvents"] = Json::array({{{"Message", message}, {"Provider", "hcssim"}}});
  return j.dump();
}

HRESULT Complete(Op* op, const char* fn, HCS_OPERATION_TYPE type, HRESULT hr,
                 const std::string& result, const std::string& detail) {
  op->type = type;
  op->hr = hr;
  op->result = FAILED(hr) ? ResultError(hr, detail) : result;
  SetEvent(op->done);
  Log(kDll, fn, hr, detail);
  if (op->callback) op->callback(reinterpret_cast<HCS_OPERATION>(op), op->context);
  return S_OK;  // submitted; the outcome is the operation's
}

// Claims an operation for a call: HCS refuses an operation that is already in use. An injected
// fault (HCSSIM_FAIL) fails here: "@sync" returns it from the call (the operation holds the
// ResultError for HcsGetOperationResult), otherwise the operation completes with it.
HRESULT Complete(Op* op, const char* fn, HCS_OPERATION_TYPE type, HRESULT hr,
                 const std::string& result, const std::string& detail);
HRESULT Claim(HCS_OPERATION operation, const char* fn, Op** out, HCS_OPERATION_TYPE type,
              bool* injected) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (!op) {
    Log(kDll, fn, E_INVALIDARG, "no operation");
    return E_INVALIDARG;
  }
  if (op->started) {
    Log(kDll, fn, E_INVALIDARG, "operation already used");
    return E_INVALIDARG;
  }
  op->started = true;
  *out = op;
  *injected = false;
  if (Env("HCSSIM_HANG", "") == fn) {  // the operation never completes (until cancelled)
    *injected = true;
    op->type = type;
    Log(kDll, fn, kHcsOperationPending, "hangs (HCSSIM_HANG)");
    return S_OK;
  }
  if (Injected i; Inject(fn, &i)) {
    *injected = true;
    Complete(op, fn, type, i.hr, "", "injected");
    if (i.sync) return i.hr;
  }
  return S_OK;
}

// --- schema checks (SchemaReference.md; hcs-api.md 2.1-2.2) -------------------------------------

struct Invalid {
  std::string why;
};

void OnlyKeys(const Json& j, const char* where, std::initializer_list<const char*> allowed) {
  if (!j.is_object()) throw Invalid{std::string(where) + " is not an object"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) throw Invalid{std::string(where) + " has unknown field \"" + it.key() + "\""};
  }
}

const Json& Need(const Json& j, const char* key, const char* where) {
  auto it = j.find(key);
  if (it == j.end()) throw Invalid{std::string(where) + "." + key + " is missing"};
  return *it;
}

std::string String(const Json& j, const char* key, const char* where, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) throw Invalid{std::string(where) + "." + key + " is missing"};
    return {};
  }
  if (!it->is_string()) throw Invalid{std::string(where) + "." + key + " is not a string"};
  return it->get<std::string>();
}

void Bool(const Json& j, const char* key, const char* where) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_boolean())
    throw Invalid{std::string(where) + "." + key + " is not a boolean"};
}

bool IsGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The scratch behind Storage.Path ("\\?\Volume{GUID}\"), from vmcompute's volume records.
std::wstring ScratchOfVolume(const std::string& path) {
  const std::string prefix = "\\\\?\\Volume{";
  if (path.rfind(prefix, 0) != 0 || path.size() != prefix.size() + 36 + 2 ||
      path.substr(path.size() - 2) != "}\\")
    throw Invalid{"Container.Storage.Path \"" + path + "\" is not \\\\?\\Volume{GUID}\\"};
  std::string guid = path.substr(prefix.size(), 36);
  std::string scratch;
  if (!ReadText(VolumeFile(guid), &scratch))
    throw Invalid{"Container.Storage.Path names no activated scratch volume"};
  return Widen(scratch);
}

std::string LowerA(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::wstring ParentOf(const std::wstring& path) {
  std::wstring p = Plain(path);
  size_t slash = p.find_last_of(L'\\');
  return slash == std::wstring::npos ? std::wstring() : p.substr(0, slash);
}

void SchemaVersion2(const Json& j, const char* where) {
  const Json& version = Need(j, "SchemaVersion", where);
  OnlyKeys(version, "SchemaVersion", {"Major", "Minor"});
  if (!Need(version, "Major", "SchemaVersion").is_number_integer() ||
      !Need(version, "Minor", "SchemaVersion").is_number_integer() || version["Major"] != 2)
    throw Invalid{std::string(where) + ".SchemaVersion must be 2.x"};
}

void CheckRegistryChanges(const Json& j) {
  OnlyKeys(j, "RegistryChanges", {"AddValues", "DeleteKeys"});
  for (const auto& v : j.value("AddValues", Json::array())) {
    OnlyKeys(v, "RegistryValue",
             {"Key", "Name", "Type", "StringValue", "BinaryValue", "DWordValue", "QWordValue",
              "CustomTypeValue"});
    const Json& key = Need(v, "Key", "RegistryValue");
    OnlyKeys(key, "RegistryKey", {"Hive", "Name", "Volatile"});
    std::string hive = String(key, "Hive", "RegistryKey");
    if (hive != "System" && hive != "Software" && hive != "Security" && hive != "Sam")
      throw Invalid{"RegistryKey.Hive \"" + hive + "\" is not System/Software/Security/Sam"};
    String(key, "Name", "RegistryKey");
    String(v, "Name", "RegistryValue");
    std::string type = String(v, "Type", "RegistryValue");
    static const char* kTypes[] = {"None",  "String", "ExpandedString", "MultiString",
                                   "Binary", "DWord", "QWord", "CustomType"};
    if (std::find_if(std::begin(kTypes), std::end(kTypes),
                     [&](const char* t) { return type == t; }) == std::end(kTypes))
      throw Invalid{"RegistryValue.Type \"" + type + "\" is not a RegistryValueType"};
    if (type == "String" && !v.contains("StringValue"))
      throw Invalid{"RegistryValue of type String without StringValue"};
    if (type == "DWord" && !(v.contains("DWordValue") && v["DWordValue"].is_number_unsigned()))
      throw Invalid{"RegistryValue of type DWord without an unsigned DWordValue"};
  }
}

// Where a utility VM's VSMB shares appear in the guest (hcsshim internal/uvm/vsmb.go:
// `\\?\VMSMB\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\<share name>`; the inbox guest's
// convention, not documented by Microsoft).
const std::string kVsmbPrefix = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";

// Storage.Layers / CombinedLayers.Layers: each {Id, Path}, Id = NameToGuid(folder name), the
// folder a layer (has Files). With `vm`, each Path is a VSMB path of one of its shares and the
// layer is the share's host folder. Returns the chain (host folders, nearest first).
std::string CheckLayerList(const Json& layers, const char* where, const System* vm) {
  if (!layers.is_array() || layers.empty()) throw Invalid{std::string(where) + " is empty"};
  std::string chain;
  for (const auto& l : layers) {
    OnlyKeys(l, "Layer", {"Id", "Path", "PathType", "Cache"});
    std::string id = String(l, "Id", "Layer"), path = String(l, "Path", "Layer");
    if (!IsGuid(id)) throw Invalid{"Layer.Id \"" + id + "\" is not a GUID string"};
    std::wstring p;
    if (vm) {
      if (LowerA(path).rfind(LowerA(kVsmbPrefix), 0) != 0)
        throw Invalid{"Layer.Path " + path + " is not a VSMB path of the utility VM"};
      auto share = vm->shares.find(path.substr(kVsmbPrefix.size()));
      if (share == vm->shares.end())
        throw Invalid{"Layer.Path " + path + " names no VSMB share of the utility VM"};
      p = share->second;
    } else {
      p = Plain(Widen(path));
    }
    if (id != GuidString(GuidOf(BaseName(p))))
      throw Invalid{"Layer.Id of " + path + " is not NameToGuid of its folder name"};
    if (!IsDir(Join(p, L"Files"))) throw Invalid{"Layer.Path " + path + " is not a layer folder"};
    chain += Narrow(LowerW(p)) + "\n";
  }
  return chain;
}

// The Container object (process isolation, or HostedSystem.Container in a utility VM). Sets
// s->scratch: the scratch layer whose volume becomes the container's C:.
void CheckContainer(const Json& c, const System* vm, System* s) {
  OnlyKeys(c, "Container",
           {"GuestOs", "Storage", "MappedDirectories", "MappedPipes", "Memory", "Processor",
            "Networking", "HvSocket", "ContainerCredentialGuard", "RegistryChanges",
            "AssignedDevices", "AdditionalDeviceNamespace"});
  if (auto it = c.find("GuestOs"); it != c.end()) {
    OnlyKeys(*it, "GuestOs", {"HostName"});
    std::string host = String(*it, "HostName", "GuestOs", false);
    if (host.size() > 63) throw Invalid{"GuestOs.HostName longer than 63 characters"};
  }
  if (c.contains("MappedDirectories") || c.contains("MappedPipes") || c.contains("Networking"))
    throw Invalid{"MappedDirectories, MappedPipes and Networking are not simulated"};
  if (auto it = c.find("RegistryChanges"); it != c.end()) CheckRegistryChanges(*it);
  const Json& storage = Need(c, "Storage", "Container");
  OnlyKeys(storage, "Storage", {"Layers", "Path", "QoS"});
  std::string chain = CheckLayerList(Need(storage, "Layers", "Storage"), "Storage.Layers", vm);
  std::string path = String(storage, "Path", "Storage");
  std::string saved;
  if (vm) {
    // The container's root is a guest path where CombinedLayers joined these layers over a
    // mounted scratch disk (hcsshim hcsoci/hcsdoc_wcow.go: Storage.Path = the combined root).
    auto combined = vm->combined.find(LowerA(path));
    if (combined == vm->combined.end())
      throw Invalid{"Storage.Path " + path + " is no CombinedLayers root in the utility VM"};
    if (combined->second != chain)
      throw Invalid{"Storage.Layers differ from the layers combined at " + path};
    s->scratch = ParentOf(vm->disks.at(vm->mounts.at(LowerA(path))));
    return;
  }
  std::wstring scratch = ScratchOfVolume(path);
  if (!ReadText(ScratchChain(scratch), &saved) || saved != chain)
    throw Invalid{"Storage.Layers differ from the layers the scratch was prepared on"};
  if (!Exists(ScratchPrepared(scratch)))
    throw Invalid{"the scratch volume is not prepared (PrepareLayer)"};
  s->scratch = scratch;
}

void Bools(const Json& j, const char* where) {
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!it->is_boolean()) throw Invalid{std::string(where) + "." + it.key() + " is not a boolean"};
}

void CheckSecurityDescriptor(const Json& j, const char* key, const char* where) {
  std::string sddl = String(j, key, where, false);
  if (sddl.empty()) return;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Widen(sddl).c_str(), SDDL_REVISION_1,
                                                            &sd, nullptr))
    throw Invalid{std::string(where) + "." + key + " \"" + sddl + "\" is not SDDL"};
  LocalFree(sd);
}

// The VirtualMachine object of a utility VM for Windows containers (SchemaReference:
// VirtualMachine, Chipset, Uefi, UefiBootEntry, Topology, Memory2, Processor2, Devices, Scsi,
// Attachment, HvSocket2, HvSocketSystemConfig, VirtualSmb, VirtualSmbShare,
// VirtualSmbShareOptions, RegistryChanges), as far as kiln uses it. What only a VM can check
// (the disks are free and granted) waits for HcsStartComputeSystem.
void CheckVirtualMachine(const Json& vm, System* s) {
  OnlyKeys(vm, "VirtualMachine",
           {"Version", "StopOnReset", "Chipset", "ComputeTopology", "Devices", "GuestState",
            "RestoreState", "RegistryChanges", "StorageQoS", "DebugOptions", "GuestConnection",
            "SecuritySettings"});
  Bool(vm, "StopOnReset", "VirtualMachine");
  if (vm.contains("GuestState") || vm.contains("RestoreState") || vm.contains("GuestConnection"))
    throw Invalid{"GuestState, RestoreState and GuestConnection are not simulated"};
  // Devices first: the boot entry names a share.
  const Json& devices = Need(vm, "Devices", "VirtualMachine");
  OnlyKeys(devices, "Devices",
           {"ComPorts", "Scsi", "VirtualPMem", "NetworkAdapters", "VideoMonitor", "Keyboard",
            "Mouse", "HvSocket", "EnhancedModeVideo", "GuestCrashReporting", "VirtualSmb", "Plan9",
            "Battery", "FlexibleIov", "SharedMemory", "VirtualPci"});
  if (auto it = devices.find("HvSocket"); it != devices.end()) {
    OnlyKeys(*it, "HvSocket2", {"HvSocketConfig"});
    if (auto c = it->find("HvSocketConfig"); c != it->end()) {
      OnlyKeys(*c, "HvSocketSystemConfig",
               {"DefaultBindSecurityDescriptor", "DefaultConnectSecurityDescriptor",
                "ServiceTable"});
      CheckSecurityDescriptor(*c, "DefaultBindSecurityDescriptor", "HvSocketSystemConfig");
      CheckSecurityDescriptor(*c, "DefaultConnectSecurityDescriptor", "HvSocketSystemConfig");
    }
  }
  const Json& smb = Need(devices, "VirtualSmb", "Devices");
  OnlyKeys(smb, "VirtualSmb", {"Shares", "DirectFileMappingInMB"});
  if (auto it = smb.find("DirectFileMappingInMB"); it != smb.end() && !it->is_number_integer())
    throw Invalid{"VirtualSmb.DirectFileMappingInMB is not an integer"};
  const Json& shares = Need(smb, "Shares", "VirtualSmb");
  if (!shares.is_array()) throw Invalid{"VirtualSmb.Shares is not an array"};
  for (const auto& share : shares) {
    OnlyKeys(share, "VirtualSmbShare", {"Name", "Path", "AllowedFiles", "Options"});
    std::string name = String(share, "Name", "VirtualSmbShare");
    std::wstring path = Plain(Widen(String(share, "Path", "VirtualSmbShare")));
    if (name.empty() || s->shares.count(name))
      throw Invalid{"VirtualSmbShare.Name \"" + name + "\" is empty or used twice"};
    if (!IsDir(path)) throw Invalid{"VirtualSmbShare " + name + ": " + Narrow(path) + " is not a folder"};
    if (auto o = share.find("Options"); o != share.end()) {
      OnlyKeys(*o, "VirtualSmbShareOptions",
               {"ReadOnly", "ShareRead", "CacheIo", "NoOplocks", "TakeBackupPrivilege",
                "UseShareRootIdentity", "NoDirectmap", "NoLocks", "PseudoOplocks", "PseudoDirnotify",
                "SingleFileMapping", "RestrictFileAccess", "ForceLevelIIOplocks",
                "ReparseBaseLayer", "NonCacheIo", "SupportCloudFiles"});
      Bools(*o, "VirtualSmbShareOptions");
    }
    s->shares[name] = path;
  }
  // Boot: UEFI from a VmbFs path. The simulation reads DevicePath under the share named "os"
  // (hcsshim's name for UtilityVM\Files, uvm/create_wcow.go; HCS's own rule for which share a
  // VmbFs boot uses is not documented).
  const Json& chipset = Need(vm, "Chipset", "VirtualMachine");
  OnlyKeys(chipset, "Chipset",
           {"Uefi", "IsNumLockDisabled", "BaseBoardSerialNumber", "ChassisSerialNumber",
            "ChassisAssetTag", "UseUtc", "LinuxKernelDirect"});
  const Json& uefi = Need(chipset, "Uefi", "Chipset");
  OnlyKeys(uefi, "Uefi",
           {"EnableDebugger", "SecureBootTemplateId", "BootThis", "Console", "StopOnBootFailure"});
  const Json& boot = Need(uefi, "BootThis", "Uefi");
  OnlyKeys(boot, "UefiBootEntry",
           {"DeviceType", "DevicePath", "DiskNumber", "OptionalData", "VmbFsRootPath"});
  std::string type = String(boot, "DeviceType", "UefiBootEntry");
  if (type != "ScsiDrive" && type != "VmbFs" && type != "Network" && type != "File")
    throw Invalid{"UefiBootEntry.DeviceType \"" + type + "\" is not a UefiBootDevice"};
  if (type != "VmbFs") throw Invalid{"only a VmbFs boot (utility VM for Windows) is simulated"};
  auto os = s->shares.find("os");
  if (os == s->shares.end()) throw Invalid{"a VmbFs boot needs the VSMB share \"os\""};
  std::wstring device = Widen(String(boot, "DevicePath", "UefiBootEntry"));
  while (!device.empty() && device[0] == L'\\') device.erase(0, 1);
  if (device.empty() || !Exists(Join(os->second, device)) || IsDir(Join(os->second, device)))
    throw Invalid{"the boot file " + Narrow(Join(os->second, device)) + " does not exist"};
  s->uvm = ParentOf(os->second);
  // Memory (even MB: hcsshim vm/vmutils/normalize.go:25-35) and processors (at most the host's).
  const Json& topology = Need(vm, "ComputeTopology", "VirtualMachine");
  OnlyKeys(topology, "Topology", {"Memory", "Processor"});
  const Json& memory = Need(topology, "Memory", "Topology");
  OnlyKeys(memory, "Memory2",
           {"SizeInMB", "AllowOvercommit", "EnableHotHint", "EnableColdHint", "EnableEpf",
            "EnableDeferredCommit", "EnableColdDiscardHint", "LowMMIOGapInMB", "HighMMIOBaseInMB",
            "HighMMIOGapInMB"});
  const Json& size = Need(memory, "SizeInMB", "Memory2");
  if (!size.is_number_unsigned() || size.get<uint64_t>() == 0 || size.get<uint64_t>() % 2)
    throw Invalid{"Memory2.SizeInMB must be a positive even number"};
  s->memory_mb = size.get<uint64_t>();
  for (const char* b : {"AllowOvercommit", "EnableHotHint", "EnableColdHint", "EnableEpf",
                        "EnableDeferredCommit", "EnableColdDiscardHint"})
    Bool(memory, b, "Memory2");
  const Json& processor = Need(topology, "Processor", "Topology");
  OnlyKeys(processor, "Processor2",
           {"Count", "Limit", "Weight", "ExposeVirtualizationExtensions", "EnablePerfmonPmu",
            "EnablePerfmonLbr", "EnablePerfmonPebs", "EnablePerfmonIpt", "EnableSchedulerAssist"});
  const Json& count = Need(processor, "Count", "Processor2");
  SYSTEM_INFO info{};
  GetSystemInfo(&info);
  if (!count.is_number_unsigned() || count.get<uint64_t>() == 0 ||
      count.get<uint64_t>() > info.dwNumberOfProcessors)
    throw Invalid{"Processor2.Count must be 1.." + std::to_string(info.dwNumberOfProcessors) +
                  " (the host's logical processors)"};
  s->processors = count.get<uint64_t>();
  // SCSI: LUN 0 the VM's own scratch, a copy of SystemTemplate.vhdx (hcsshim
  // uvm/create_wcow.go:601-605); others scratch layers' sandbox.vhdx for its containers.
  const Json& scsi = Need(devices, "Scsi", "Devices");
  if (!scsi.is_object() || scsi.empty()) throw Invalid{"Devices.Scsi has no controller"};
  for (auto controller = scsi.begin(); controller != scsi.end(); ++controller) {
    if (!IsGuid(controller.key())) throw Invalid{"Scsi controller \"" + controller.key() + "\" is not a GUID"};
    OnlyKeys(*controller, "Scsi", {"Attachments"});
    const Json& attachments = Need(*controller, "Attachments", "Scsi");
    if (!attachments.is_object()) throw Invalid{"Scsi.Attachments is not an object"};
    for (auto a = attachments.begin(); a != attachments.end(); ++a) {
      const std::string& lun_text = a.key();
      if (lun_text.empty() || lun_text.size() > 2 ||
          lun_text.find_first_not_of("0123456789") != std::string::npos || std::stoi(lun_text) > 63)
        throw Invalid{"Scsi attachment \"" + lun_text + "\" is not a LUN 0..63"};
      OnlyKeys(*a, "Attachment",
               {"Type", "Path", "ReadOnly", "CachingMode", "SupportCompressedVolumes",
                "AlwaysAllowSparseFiles", "SupportEncryptedFiles", "ExtensibleVirtualDiskType"});
      if (String(*a, "Type", "Attachment") != "VirtualDisk")
        throw Invalid{"only VirtualDisk attachments are simulated"};
      std::wstring vhd = Plain(Widen(String(*a, "Path", "Attachment")));
      if (!Exists(vhd) || IsDir(vhd)) throw Invalid{"Attachment " + Narrow(vhd) + " is not a file"};
      int lun = std::stoi(lun_text);
      if (s->disks.count(lun)) throw Invalid{"LUN " + lun_text + " used twice"};
      s->disks[lun] = vhd;
    }
  }
  auto system_disk = s->disks.find(0);
  if (system_disk == s->disks.end()) throw Invalid{"the utility VM has no scratch disk at LUN 0"};
  std::string text;
  if (!ReadText(system_disk->second, &text) || text != TemplateMarker(s->uvm))
    throw Invalid{"LUN 0 " + Narrow(system_disk->second) +
                  " is not a copy of the utility VM's SystemTemplate.vhdx (ProcessUtilityImage)"};
  for (const auto& [lun, vhd] : s->disks)
    if (lun != 0 && (LowerW(BaseName(vhd)) != L"sandbox.vhdx" || !Exists(ScratchChain(ParentOf(vhd)))))
      throw Invalid{"LUN " + std::to_string(lun) + " " + Narrow(vhd) +
                    " is not a scratch layer's sandbox.vhdx (CreateSandboxLayer)"};
  if (auto it = vm.find("RegistryChanges"); it != vm.end()) CheckRegistryChanges(*it);
}

// A ComputeSystem document (SchemaReference: ComputeSystem): exactly one of Container (process
// isolation), VirtualMachine (a utility VM) or HostedSystem + HostingSystemId (a container in a
// running utility VM; hcsshim uvm/create.go). Fills `s`; g_mu held.
void CheckComputeSystem(const Json& doc, System* s) {
  OnlyKeys(doc, "ComputeSystem",
           {"Owner", "SchemaVersion", "HostingSystemId", "HostedSystem", "Container",
            "VirtualMachine", "ShouldTerminateOnLastHandleClosed"});
  String(doc, "Owner", "ComputeSystem");
  SchemaVersion2(doc, "ComputeSystem");
  Bool(doc, "ShouldTerminateOnLastHandleClosed", "ComputeSystem");
  s->terminate_on_close = doc.value("ShouldTerminateOnLastHandleClosed", false);
  const int kinds = int(doc.contains("Container")) + int(doc.contains("VirtualMachine")) +
                    int(doc.contains("HostedSystem"));
  if (kinds != 1) throw Invalid{"exactly one of Container, VirtualMachine, HostedSystem is expected"};
  if (doc.contains("HostedSystem") != doc.contains("HostingSystemId"))
    throw Invalid{"HostedSystem and HostingSystemId go together"};
  if (doc.contains("Container")) {
    s->kind = System::kContainer;
    CheckContainer(doc["Container"], nullptr, s);
    return;
  }
  if (doc.contains("VirtualMachine")) {
    s->kind = System::kVm;
    CheckVirtualMachine(doc["VirtualMachine"], s);
    return;
  }
  s->kind = System::kHosted;
  s->hosting = String(doc, "HostingSystemId", "ComputeSystem");
  auto vm = g_systems.find(s->hosting);
  if (vm == g_systems.end() || vm->second->kind != System::kVm ||
      vm->second->state != System::kRunning)
    throw Invalid{"HostingSystemId \"" + s->hosting + "\" names no running utility VM"};
  const Json& hosted = doc["HostedSystem"];
  OnlyKeys(hosted, "HostedSystem", {"SchemaVersion", "Container"});
  SchemaVersion2(hosted, "HostedSystem");
  CheckContainer(Need(hosted, "Container", "HostedSystem"), vm->second, s);
}

struct ProcessParameters {
  std::wstring command_line, working_directory;
  std::map<std::wstring, std::wstring> environment;
  bool has_environment = false, emulate_console = false, stdin_pipe = false, stdout_pipe = false,
       stderr_pipe = false;
};

ProcessParameters CheckProcessParameters(const Json& doc) {
  OnlyKeys(doc, "ProcessParameters",
           {"ApplicationName", "CommandLine", "CommandArgs", "User", "WorkingDirectory",
            "Environment", "RestrictedToken", "EmulateConsole", "CreateStdInPipe",
            "CreateStdOutPipe", "CreateStdErrPipe", "ConsoleSize", "UseExistingLogin",
            "UseLegacyConsole"});
  ProcessParameters p;
  if (doc.contains("CommandArgs")) throw Invalid{"CommandArgs is for Linux guests only"};
  p.command_line = Widen(String(doc, "CommandLine", "ProcessParameters"));
  if (p.command_line.empty()) throw Invalid{"ProcessParameters.CommandLine is empty"};
  p.working_directory = Widen(String(doc, "WorkingDirectory", "ProcessParameters", false));
  String(doc, "User", "ProcessParameters", false);
  for (const char* b : {"EmulateConsole", "CreateStdInPipe", "CreateStdOutPipe",
                        "CreateStdErrPipe", "RestrictedToken", "UseExistingLogin",
                        "UseLegacyConsole"})
    Bool(doc, b, "ProcessParameters");
  p.emulate_console = doc.value("EmulateConsole", false);
  p.stdin_pipe = doc.value("CreateStdInPipe", false);
  p.stdout_pipe = doc.value("CreateStdOutPipe", false);
  p.stderr_pipe = doc.value("CreateStdErrPipe", false);
  if (auto it = doc.find("Environment"); it != doc.end()) {
    if (!it->is_object()) throw Invalid{"ProcessParameters.Environment is not an object"};
    p.has_environment = true;
    for (auto e = it->begin(); e != it->end(); ++e) {
      if (!e->is_string()) throw Invalid{"Environment." + e.key() + " is not a string"};
      p.environment[Widen(e.key())] = Widen(e->get<std::string>());
    }
  }
  return p;
}

// C:\ -> K:\ where a path starts (wine cannot give the process its own C:).
std::wstring ToDrive(const std::wstring& s) {
  std::wstring out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool at_start = i == 0 || std::wstring(L" \t\"'=(,;").find(s[i - 1]) != std::wstring::npos;
    if (at_start && (s[i] == L'C' || s[i] == L'c') && i + 1 < s.size() && s[i + 1] == L':' &&
        (i + 2 == s.size() || s[i + 2] == L'\\' || s[i + 2] == L'"' || s[i + 2] == L' ')) {
      out += DriveLetter();
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string ProcessStatus(Process* p) {
  DWORD code = 0;
  bool exited = WaitForSingleObject(p->handle, 0) == WAIT_OBJECT_0;
  if (exited) GetExitCodeProcess(p->handle, &code);
  Json j;
  j["ProcessId"] = p->pid;
  j["Exited"] = exited;
  j["ExitCode"] = code;
  j["LastWaitResult"] = 0;
  return j.dump();
}

// Stops every process of the system and gives its drive folder back to the scratch. A utility
// VM takes its hosted containers down with it and lets go of its disks.
HRESULT StopSystem(System* s, const char* why) {
  if (s->state == System::kStopped) return kHcsSystemAlreadyStopped;
  if (s->kind == System::kVm) {
    std::vector<System*> hosted;
    {
      std::lock_guard lock(g_mu);
      for (auto& [id, h] : g_systems)
        if (h->kind == System::kHosted && h->hosting == s->id && h->state != System::kStopped)
          hosted.push_back(h);
    }
    for (System* h : hosted) StopSystem(h, "its utility VM stopped");
  }
  if (s->job) TerminateJobObject(s->job, 0xC000013A);
  for (HANDLE h : s->processes) {
    WaitForSingleObject(h, 10000);
    CloseHandle(h);
  }
  s->processes.clear();
  HRESULT hr = S_OK;
  if (s->state == System::kRunning && s->kind == System::kVm) {
    if (!DeleteFileW(VmRecord(s->id).c_str())) hr = HRESULT_FROM_WIN32(GetLastError());
    s->mounts.clear();
    s->combined.clear();
  } else if (s->state == System::kRunning) {
    std::wstring drive = Join(StateDir(), L"drive");
    if (!MoveFileExW(drive.c_str(), ScratchVolume(s->scratch).c_str(), 0))
      hr = HRESULT_FROM_WIN32(GetLastError());
  }
  s->state = System::kStopped;
  Log(kDll, "(stop)", hr, s->id + ": " + why);
  return hr;
}

// HcsStartComputeSystem of a utility VM: it opens its disks. One the host still has attached
// (ActivateLayer) or another VM holds is a sharing violation; one not granted to this VM
// (GrantVmAccess) is access denied. The VM's record lists them (vmcompute.dll reads it).
HRESULT StartVm(System* s, std::string* why) {
  std::string record = s->id + "\n";
  for (const auto& [lun, vhd] : s->disks) {
    if (std::string other = VmHolding(vhd); !other.empty()) {
      *why = Narrow(vhd) + " is held by utility VM " + other;
      return HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION);
    }
    if (lun != 0 && Activated(ParentOf(vhd))) {
      *why = Narrow(vhd) + " is attached on the host (ActivateLayer)";
      return HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION);
    }
    if (!Granted(vhd, s->id)) {
      *why = "utility VM " + s->id + " may not open " + Narrow(vhd) + " (GrantVmAccess)";
      return HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED);
    }
    record += Narrow(LowerW(vhd)) + "\n";
  }
  CreateDirectoryW(StateDir().c_str(), nullptr);
  CreateDirectoryW(VmRecordDir().c_str(), nullptr);
  if (!WriteText(VmRecord(s->id), record)) {
    *why = "cannot record the utility VM";
    return HRESULT_FROM_WIN32(GetLastError());
  }
  return S_OK;
}

// A guest request through HcsModifyComputeSystem to a running utility VM (the inbox guest agent
// applies it; hcsshim's `uvm.gc == nil` path): MappedVirtualDisk mounts a SCSI LUN at a guest
// path (hcsshim guestresource.WCOWMappedVirtualDisk), CombinedLayers joins layers over a mounted
// scratch (guestresource.WCOWCombinedLayers). The layers must be the ones the scratch was
// created on; a scratch never prepared on the host gets its volume here.
HRESULT GuestRequest(System* vm, const Json& request, std::string* detail) {
  OnlyKeys(request, "ModifySettingRequest", {"ResourcePath", "RequestType", "Settings", "GuestRequest"});
  if (request.contains("ResourcePath"))
    throw Invalid{"only guest requests (GuestRequest) are simulated, not ResourcePath changes"};
  const Json& g = Need(request, "GuestRequest", "ModifySettingRequest");
  OnlyKeys(g, "GuestRequest", {"ResourceType", "RequestType", "Settings"});
  std::string type = String(g, "ResourceType", "GuestRequest");
  std::string request_type = String(g, "RequestType", "GuestRequest");
  if (request_type != "Add" && request_type != "Remove" && request_type != "Update")
    throw Invalid{"GuestRequest.RequestType \"" + request_type + "\" is not Add/Remove/Update"};
  if (request_type != "Add") throw Invalid{"only Add guest requests are simulated"};
  const Json& settings = Need(g, "Settings", "GuestRequest");
  *detail = type;
  if (type == "MappedVirtualDisk") {
    OnlyKeys(settings, "MappedVirtualDisk", {"ContainerPath", "Lun", "ReadOnly"});
    const Json& lun = Need(settings, "Lun", "MappedVirtualDisk");
    if (!lun.is_number_integer() || !vm->disks.count(lun.get<int>()) || lun.get<int>() == 0)
      throw Invalid{"MappedVirtualDisk.Lun is no container disk of the utility VM"};
    std::string path = String(settings, "ContainerPath", "MappedVirtualDisk");
    if (path.size() < 3 || path[1] != ':' || path[2] != '\\')
      throw Invalid{"MappedVirtualDisk.ContainerPath \"" + path + "\" is not an absolute guest path"};
    if (vm->mounts.count(LowerA(path))) throw Invalid{"something is mounted at " + path + " already"};
    for (const auto& [p, l] : vm->mounts)
      if (l == lun.get<int>()) throw Invalid{"LUN " + std::to_string(l) + " is mounted at " + p + " already"};
    vm->mounts[LowerA(path)] = lun.get<int>();
    *detail += " LUN " + std::to_string(lun.get<int>()) + " at " + path;
    return S_OK;
  }
  if (type == "CombinedLayers") {
    OnlyKeys(settings, "CombinedLayers", {"ContainerRootPath", "Layers", "ScratchPath", "FilterType"});
    if (auto f = settings.find("FilterType"); f != settings.end() && *f != "WCIFS")
      throw Invalid{"only the WCIFS filter is simulated"};
    std::string root = String(settings, "ContainerRootPath", "CombinedLayers");
    auto mount = vm->mounts.find(LowerA(root));
    if (mount == vm->mounts.end()) throw Invalid{"CombinedLayers.ContainerRootPath " + root + " is not mounted"};
    if (vm->combined.count(LowerA(root))) throw Invalid{"layers are combined at " + root + " already"};
    std::string chain = CheckLayerList(Need(settings, "Layers", "CombinedLayers"), "CombinedLayers.Layers", vm);
    std::wstring scratch = ParentOf(vm->disks.at(mount->second));
    std::string saved;
    if (!ReadText(ScratchChain(scratch), &saved) || saved != chain)
      throw Invalid{"CombinedLayers.Layers differ from the layers the scratch was created on"};
    std::wstring nearest = Widen(chain.substr(0, chain.find('\n')));
    if (!IsDir(ScratchVolume(scratch)) && !CopyTree(Join(nearest, L"Files"), ScratchVolume(scratch)))
      return HRESULT_FROM_WIN32(GetLastError());
    vm->combined[LowerA(root)] = chain;
    *detail += " at " + root + " on " + std::to_string(std::count(chain.begin(), chain.end(), '\n')) + " layers";
    return S_OK;
  }
  throw Invalid{"GuestRequest.ResourceType \"" + type + "\" is not simulated"};
}

DWORD WINAPI WatchExit(void* arg) {
  auto* p = static_cast<Process*>(arg);
  HANDLE both[2] = {p->handle, p->stop};
  if (WaitForMultipleObjects(2, both, FALSE, INFINITE) != WAIT_OBJECT_0) return 0;
  std::lock_guard lock(p->mu);
  if (p->closing || !p->callback) return 0;
  std::string status = ProcessStatus(p);
  std::wstring data = Widen(status);
  HCS_EVENT event{};
  event.Type = HcsEventProcessExited;
  event.EventData = data.c_str();
  event.Operation = nullptr;
  Log(kDll, "(ProcessExited event)", S_OK, status);
  p->callback(&event, p->context);
  return 0;
}

}  // namespace

extern "C" {

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscreateoperation
__declspec(dllexport) HCS_OPERATION WINAPI HcsCreateOperation(const void* context,
                                                              HCS_OPERATION_COMPLETION callback) {
  auto* op = new Op();
  op->context = const_cast<void*>(context);
  op->callback = callback;
  Log(kDll, "HcsCreateOperation", S_OK, "");
  return reinterpret_cast<HCS_OPERATION>(op);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscloseoperation
__declspec(dllexport) void WINAPI HcsCloseOperation(HCS_OPERATION operation) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (!op) return;
  CloseHandle(op->done);
  delete op;
  Log(kDll, "HcsCloseOperation", S_OK, "");
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcswaitforoperationresult
__declspec(dllexport) HRESULT WINAPI HcsWaitForOperationResult(HCS_OPERATION operation,
                                                               DWORD timeout_ms, PWSTR* result) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (result) *result = nullptr;
  if (!op) return E_INVALIDARG;
  if (!op->started) return kHcsOperationNotStarted;
  if (WaitForSingleObject(op->done, timeout_ms) != WAIT_OBJECT_0) return kHcsOperationTimeout;
  if (result && !op->result.empty()) *result = Alloc(op->result);
  Log(kDll, "HcsWaitForOperationResult", op->hr, "");
  return op->hr;
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsgetoperationresult
__declspec(dllexport) HRESULT WINAPI HcsGetOperationResult(HCS_OPERATION operation,
                                                           PWSTR* result) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (result) *result = nullptr;
  if (!op) return E_INVALIDARG;
  if (!op->started) return kHcsOperationNotStarted;
  if (WaitForSingleObject(op->done, 0) != WAIT_OBJECT_0) return kHcsOperationPending;
  if (result && !op->result.empty()) *result = Alloc(op->result);
  Log(kDll, "HcsGetOperationResult", op->hr, "");
  return op->hr;
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcswaitforoperationresultandprocessinfo
__declspec(dllexport) HRESULT WINAPI HcsWaitForOperationResultAndProcessInfo(
    HCS_OPERATION operation, DWORD timeout_ms, HCS_PROCESS_INFORMATION* info, PWSTR* result) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (result) *result = nullptr;
  if (!op) return E_INVALIDARG;
  if (!op->started) return kHcsOperationNotStarted;
  if (WaitForSingleObject(op->done, timeout_ms) != WAIT_OBJECT_0) return kHcsOperationTimeout;
  if (op->type != HcsOperationTypeCreateProcess && op->type != HcsOperationTypeGetProcessInfo)
    return E_INVALIDARG;  // documented: only for these two operation types
  // HCSSIM_FAIL=HcsWaitForOperationResultAndProcessInfo: the wait fails although the process was
  // created (what hcsshim works around with HcsGetProcessInfo, internal/hcs/v2/system.go).
  if (Injected i; op->type == HcsOperationTypeCreateProcess && SUCCEEDED(op->hr) &&
                  Inject("HcsWaitForOperationResultAndProcessInfo", &i)) {
    Log(kDll, "HcsWaitForOperationResultAndProcessInfo", i.hr, "injected (the process runs)");
    return i.hr;
  }
  if (result && !op->result.empty()) *result = Alloc(op->result);
  if (SUCCEEDED(op->hr) && info && op->process) {
    // The caller owns (and closes) the handles it receives; a second hand-out gets duplicates.
    Process* p = op->process;
    std::lock_guard lock(p->mu);
    *info = p->info;
    if (p->handed_out) {
      for (HANDLE* h : {&info->StdInput, &info->StdOutput, &info->StdError})
        if (*h && !DuplicateHandle(GetCurrentProcess(), *h, GetCurrentProcess(), h, 0, FALSE,
                                   DUPLICATE_SAME_ACCESS))
          *h = nullptr;
    }
    p->handed_out = true;
  }
  Log(kDll, "HcsWaitForOperationResultAndProcessInfo", op->hr, "");
  return op->hr;
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscanceloperation
// A pending operation completes as cancelled (ERROR_CANCELLED).
__declspec(dllexport) HRESULT WINAPI HcsCancelOperation(HCS_OPERATION operation) {
  auto* op = reinterpret_cast<Op*>(operation);
  if (!op) return E_INVALIDARG;
  if (op->started && WaitForSingleObject(op->done, 0) != WAIT_OBJECT_0)
    Complete(op, "HcsCancelOperation", op->type, HRESULT_FROM_WIN32(ERROR_CANCELLED), "",
             "operation cancelled");
  else
    Log(kDll, "HcsCancelOperation", S_OK, "nothing pending");
  return S_OK;
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscreatecomputesystem
__declspec(dllexport) HRESULT WINAPI HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration,
                                                            HCS_OPERATION operation,
                                                            const SECURITY_DESCRIPTOR* sd,
                                                            HCS_SYSTEM* computeSystem) {
  const char* fn = "HcsCreateComputeSystem";
  if (computeSystem) *computeSystem = nullptr;
  if (!id || !configuration || !computeSystem || sd) {
    Log(kDll, fn, E_INVALIDARG, "id, configuration, handle pointer needed; sd must be NULL");
    return E_INVALIDARG;
  }
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeCreate, &injected); FAILED(hr) || injected) return hr;
  std::string name = Narrow(id);
  Json doc = Json::parse(Narrow(configuration), nullptr, false);
  if (doc.is_discarded())
    return Complete(op, fn, HcsOperationTypeCreate, kHcsInvalidJson, "", "not JSON");
  auto* s = new System();
  s->id = name;
  {
    std::lock_guard lock(g_mu);
    try {
      CheckComputeSystem(doc, s);
    } catch (const Invalid& e) {
      delete s;
      return Complete(op, fn, HcsOperationTypeCreate, kHcsInvalidJson, "", e.why);
    }
    if (g_systems.count(name)) {
      delete s;
      return Complete(op, fn, HcsOperationTypeCreate, kHcsSystemAlreadyExists, "", name);
    }
    g_systems[name] = s;
  }
  *computeSystem = reinterpret_cast<HCS_SYSTEM>(s);
  if (Env("HCSSIM_IMAGE_MISMATCH", "0") == "1" && s->kind != System::kVm)
    return Complete(op, fn, HcsOperationTypeCreate, kHcsImageMismatch, "",
                    "The container operating system does not match the host operating system.");
  std::string what = s->kind == System::kVm
                         ? "utility VM " + name + " booting " + Narrow(s->uvm) + ", " +
                               std::to_string(s->memory_mb) + " MB, " +
                               std::to_string(s->processors) + " processors, " +
                               std::to_string(s->disks.size()) + " disks, " +
                               std::to_string(s->shares.size()) + " VSMB shares"
                         : (s->kind == System::kHosted ? "container " + name + " in " + s->hosting
                                                       : "container " + name) +
                               " on " + Narrow(s->scratch);
  return Complete(op, fn, HcsOperationTypeCreate, S_OK, "", what);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsstartcomputesystem
__declspec(dllexport) HRESULT WINAPI HcsStartComputeSystem(HCS_SYSTEM computeSystem,
                                                           HCS_OPERATION operation,
                                                           PCWSTR options) {
  const char* fn = "HcsStartComputeSystem";
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (!s) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeStart, &injected); FAILED(hr) || injected) return hr;
  if (options) return Complete(op, fn, HcsOperationTypeStart, E_INVALIDARG, "", "options must be NULL");
  if (s->state != System::kCreated)
    return Complete(op, fn, HcsOperationTypeStart, kHcsInvalidState, "", "not in Created state");
  if (s->kind == System::kVm) {
    std::string why;
    if (HRESULT hr = StartVm(s, &why); FAILED(hr))
      return Complete(op, fn, HcsOperationTypeStart, hr, "", why);
    s->state = System::kRunning;
    return Complete(op, fn, HcsOperationTypeStart, S_OK, "", "utility VM " + s->id);
  }
  if (s->kind == System::kHosted) {
    std::lock_guard lock(g_mu);
    auto vm = g_systems.find(s->hosting);
    if (vm == g_systems.end() || vm->second->state != System::kRunning)
      return Complete(op, fn, HcsOperationTypeStart, kHcsInvalidState, "",
                      "its utility VM " + s->hosting + " is not running");
  }
  std::wstring drive = Join(StateDir(), L"drive");
  if (Exists(drive))
    return Complete(op, fn, HcsOperationTypeStart, HRESULT_FROM_WIN32(ERROR_BUSY), "",
                    "another container holds the drive (the simulation runs one at a time)");
  if (!MoveFileExW(ScratchVolume(s->scratch).c_str(), drive.c_str(), 0))
    return Complete(op, fn, HcsOperationTypeStart, HRESULT_FROM_WIN32(GetLastError()), "",
                    "mounting " + Narrow(ScratchVolume(s->scratch)));
  std::wstring root = std::wstring(1, DriveLetter()) + L":\\";
  if (!IsDir(root)) {
    MoveFileExW(drive.c_str(), ScratchVolume(s->scratch).c_str(), 0);
    return Complete(op, fn, HcsOperationTypeStart, HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND), "",
                    Narrow(root) + " does not show " + Narrow(drive) +
                        " (the test prefix needs the dosdevices link)");
  }
  s->job = CreateJobObjectW(nullptr, nullptr);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  SetInformationJobObject(s->job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
  s->state = System::kRunning;
  return Complete(op, fn, HcsOperationTypeStart, S_OK, "", s->id);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsmodifycomputesystem
// configuration: a ModifySettingRequest; identity optional (an access token; kiln passes none).
// Simulated: guest requests to a running utility VM (GuestRequest above).
__declspec(dllexport) HRESULT WINAPI HcsModifyComputeSystem(HCS_SYSTEM computeSystem,
                                                            HCS_OPERATION operation,
                                                            PCWSTR configuration,
                                                            HANDLE identity) {
  const char* fn = "HcsModifyComputeSystem";
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (!s || !configuration) {
    Log(kDll, fn, E_INVALIDARG, "system and configuration needed");
    return E_INVALIDARG;
  }
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeModify, &injected); FAILED(hr) || injected) return hr;
  const auto type = HcsOperationTypeModify;
  if (identity) return Complete(op, fn, type, E_INVALIDARG, "", "an identity token is not simulated");
  if (s->kind != System::kVm)
    return Complete(op, fn, type, E_NOTIMPL, "", "only utility VMs take modify requests here");
  if (s->state != System::kRunning)
    return Complete(op, fn, type, kHcsInvalidState, "", "utility VM " + s->id + " is not running");
  Json doc = Json::parse(Narrow(configuration), nullptr, false);
  if (doc.is_discarded()) return Complete(op, fn, type, kHcsInvalidJson, "", "not JSON");
  std::string detail;
  HRESULT hr = S_OK;
  try {
    hr = GuestRequest(s, doc, &detail);
  } catch (const Invalid& e) {
    return Complete(op, fn, type, kHcsInvalidJson, "", e.why);
  }
  return Complete(op, fn, type, hr, "", detail);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsshutdowncomputesystem
__declspec(dllexport) HRESULT WINAPI HcsShutDownComputeSystem(HCS_SYSTEM computeSystem,
                                                              HCS_OPERATION operation,
                                                              PCWSTR options) {
  const char* fn = "HcsShutDownComputeSystem";
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (!s) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeShutdown, &injected); FAILED(hr) || injected) return hr;
  if (options && Json::parse(Narrow(options), nullptr, false).is_discarded())
    return Complete(op, fn, HcsOperationTypeShutdown, kHcsInvalidJson, "", "options not JSON");
  return Complete(op, fn, HcsOperationTypeShutdown, StopSystem(s, "shutdown"), "", s->id);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsterminatecomputesystem
__declspec(dllexport) HRESULT WINAPI HcsTerminateComputeSystem(HCS_SYSTEM computeSystem,
                                                               HCS_OPERATION operation,
                                                               PCWSTR options) {
  const char* fn = "HcsTerminateComputeSystem";
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (!s) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeTerminate, &injected); FAILED(hr) || injected) return hr;
  if (options) return Complete(op, fn, HcsOperationTypeTerminate, E_INVALIDARG, "", "options must be NULL");
  return Complete(op, fn, HcsOperationTypeTerminate, StopSystem(s, "terminate"), "", s->id);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsclosecomputesystem
// (ShouldTerminateOnLastHandleClosed: SchemaReference ComputeSystem).
__declspec(dllexport) void WINAPI HcsCloseComputeSystem(HCS_SYSTEM computeSystem) {
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (!s) return;
  if (s->state != System::kStopped && s->terminate_on_close) StopSystem(s, "last handle closed");
  {
    std::lock_guard lock(g_mu);
    g_systems.erase(s->id);
  }
  if (s->job) CloseHandle(s->job);
  Log(kDll, "HcsCloseComputeSystem", S_OK, s->id);
  delete s;
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscreateprocess
__declspec(dllexport) HRESULT WINAPI HcsCreateProcess(HCS_SYSTEM computeSystem,
                                                      PCWSTR processParameters,
                                                      HCS_OPERATION operation,
                                                      const SECURITY_DESCRIPTOR* sd,
                                                      HCS_PROCESS* process) {
  const char* fn = "HcsCreateProcess";
  auto* s = reinterpret_cast<System*>(computeSystem);
  if (process) *process = nullptr;
  if (!s || !processParameters || !process || sd) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeCreateProcess, &injected); FAILED(hr) || injected) return hr;
  const auto type = HcsOperationTypeCreateProcess;
  if (s->state != System::kRunning)
    return Complete(op, fn, type, kHcsInvalidState, "", "compute system not running");
  Json doc = Json::parse(Narrow(processParameters), nullptr, false);
  if (doc.is_discarded()) return Complete(op, fn, type, kHcsInvalidJson, "", "not JSON");
  ProcessParameters params;
  try {
    params = CheckProcessParameters(doc);
  } catch (const Invalid& e) {
    return Complete(op, fn, type, kHcsInvalidJson, "", e.why);
  }
  // Pipes: the child's ends inheritable, ours not (CreatePipe docs).
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  HANDLE out_r = nullptr, out_w = nullptr, err_r = nullptr, err_w = nullptr, in_r = nullptr,
         in_w = nullptr;
  HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                           &inherit, OPEN_EXISTING, 0, nullptr);
  if (params.stdout_pipe) CreatePipe(&out_r, &out_w, &inherit, 0);
  if (params.stderr_pipe && !params.emulate_console) CreatePipe(&err_r, &err_w, &inherit, 0);
  if (params.stdin_pipe) CreatePipe(&in_r, &in_w, &inherit, 0);
  for (HANDLE h : {out_r, err_r, in_w})
    if (h) SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in_r ? in_r : nul;
  si.hStdOutput = out_w ? out_w : nul;
  si.hStdError = err_w ? err_w : (params.emulate_console && out_w ? out_w : nul);
  // Environment: the host's, with the document's values on top (HCS merges them into the
  // container's default environment; the host's stands in for that here).
  std::wstring env_block;
  if (params.has_environment) {
    std::map<std::wstring, std::wstring> merged;
    std::map<std::wstring, std::wstring> key_of;  // folded name -> spelling
    wchar_t* block = GetEnvironmentStringsW();
    for (wchar_t* p = block; *p; p += wcslen(p) + 1) {
      std::wstring kv = p;
      size_t eq = kv.find(L'=', 1);
      if (eq == std::wstring::npos) continue;
      merged[LowerW(kv.substr(0, eq))] = kv;
    }
    FreeEnvironmentStringsW(block);
    for (const auto& [k, v] : params.environment) merged[LowerW(k)] = k + L"=" + v;
    for (const auto& [k, kv] : merged) env_block += kv + L'\0';
    env_block += L'\0';
  }
  std::wstring command = ToDrive(params.command_line);
  std::wstring cwd = params.working_directory.empty() ? std::wstring(1, DriveLetter()) + L":\\"
                                                      : ToDrive(params.working_directory);
  std::vector<wchar_t> mutable_command(command.begin(), command.end());
  mutable_command.push_back(0);
  PROCESS_INFORMATION pi{};
  BOOL ok = CreateProcessW(nullptr, mutable_command.data(), nullptr, nullptr, TRUE,
                           CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
                           params.has_environment ? env_block.data() : nullptr, cwd.c_str(), &si,
                           &pi);
  DWORD error = ok ? 0 : GetLastError();
  for (HANDLE h : {out_w, err_w, in_r, nul})
    if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (!ok) {
    for (HANDLE h : {out_r, err_r, in_w})
      if (h) CloseHandle(h);
    return Complete(op, fn, type, HRESULT_FROM_WIN32(error), "",
                    "CreateProcess(" + Narrow(command) + ") in " + Narrow(cwd));
  }
  AssignProcessToJobObject(s->job, pi.hProcess);
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  auto* p = new Process();
  p->system = s;
  p->handle = pi.hProcess;
  p->pid = pi.dwProcessId;
  HANDLE dup = nullptr;
  DuplicateHandle(GetCurrentProcess(), pi.hProcess, GetCurrentProcess(), &dup, 0, FALSE,
                  DUPLICATE_SAME_ACCESS);
  s->processes.push_back(dup);
  p->info.ProcessId = pi.dwProcessId;
  p->info.StdInput = in_w;
  p->info.StdOutput = out_r;
  p->info.StdError = err_r;
  op->process = p;
  *process = reinterpret_cast<HCS_PROCESS>(p);
  return Complete(op, fn, type, S_OK, ProcessStatus(p),
                  "pid " + std::to_string(pi.dwProcessId) + ": " + Narrow(command) + " in " +
                      Narrow(cwd));
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsgetprocessinfo
// The process's startup information, read with ...AndProcessInfo on the operation
// (hcsgetoperationresultandprocessinfo: "the operation used to track HcsCreateProcess or
// HcsGetProcessInfo").
__declspec(dllexport) HRESULT WINAPI HcsGetProcessInfo(HCS_PROCESS process, HCS_OPERATION operation) {
  const char* fn = "HcsGetProcessInfo";
  auto* p = reinterpret_cast<Process*>(process);
  if (!p) {
    Log(kDll, fn, E_INVALIDARG, "no process");
    return E_INVALIDARG;
  }
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeGetProcessInfo, &injected); FAILED(hr) || injected) return hr;
  op->process = p;
  return Complete(op, fn, HcsOperationTypeGetProcessInfo, S_OK, ProcessStatus(p),
                  "pid " + std::to_string(p->pid));
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsgetprocessproperties
__declspec(dllexport) HRESULT WINAPI HcsGetProcessProperties(HCS_PROCESS process,
                                                             HCS_OPERATION operation,
                                                             PCWSTR propertyQuery) {
  const char* fn = "HcsGetProcessProperties";
  auto* p = reinterpret_cast<Process*>(process);
  if (!p) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeGetProcessProperties, &injected); FAILED(hr) || injected) return hr;
  std::string status = ProcessStatus(p);
  return Complete(op, fn, HcsOperationTypeGetProcessProperties, S_OK, status, status);
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcssetprocesscallback
__declspec(dllexport) HRESULT WINAPI HcsSetProcessCallback(HCS_PROCESS process,
                                                           HCS_EVENT_OPTIONS callbackOptions,
                                                           void* context,
                                                           HCS_EVENT_CALLBACK callback) {
  auto* p = reinterpret_cast<Process*>(process);
  if (!p || (callbackOptions != HcsEventOptionNone &&
             callbackOptions != HcsEventOptionEnableOperationCallbacks)) {
    Log(kDll, "HcsSetProcessCallback", E_INVALIDARG, "");
    return E_INVALIDARG;
  }
  std::lock_guard lock(p->mu);
  p->callback = callback;
  p->context = context;
  if (!p->watcher && callback) p->watcher = CreateThread(nullptr, 0, WatchExit, p, 0, nullptr);
  Log(kDll, "HcsSetProcessCallback", S_OK, "");
  return S_OK;
}

#ifndef HCSSIM_WS2019
// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcswaitforprocessexit
// (Windows Server 2022 and later; the HCSSIM_WS2019 build leaves it out.)
__declspec(dllexport) HRESULT WINAPI HcsWaitForProcessExit(HCS_PROCESS process, DWORD timeoutMs,
                                                           PWSTR* result) {
  auto* p = reinterpret_cast<Process*>(process);
  if (result) *result = nullptr;
  if (!p) return E_INVALIDARG;
  if (WaitForSingleObject(p->handle, timeoutMs) != WAIT_OBJECT_0) return kHcsOperationTimeout;
  std::string status = ProcessStatus(p);
  if (result) *result = Alloc(status);
  Log(kDll, "HcsWaitForProcessExit", S_OK, status);
  return S_OK;
}
#endif

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsterminateprocess
// Ends the process only; its children live on until the compute system stops, as in a real
// container.
__declspec(dllexport) HRESULT WINAPI HcsTerminateProcess(HCS_PROCESS process,
                                                         HCS_OPERATION operation,
                                                         PCWSTR options) {
  const char* fn = "HcsTerminateProcess";
  auto* p = reinterpret_cast<Process*>(process);
  if (!p) return E_INVALIDARG;
  Op* op = nullptr;
  bool injected = false;
  if (HRESULT hr = Claim(operation, fn, &op, HcsOperationTypeTerminate, &injected); FAILED(hr) || injected) return hr;
  const auto type = HcsOperationTypeTerminate;
  if (WaitForSingleObject(p->handle, 0) == WAIT_OBJECT_0)
    return Complete(op, fn, type, kHcsProcessAlreadyStopped, "", "already exited");
  if (!TerminateProcess(p->handle, 1))
    return Complete(op, fn, type, HRESULT_FROM_WIN32(GetLastError()), "", "TerminateProcess");
  WaitForSingleObject(p->handle, 5000);
  return Complete(op, fn, type, S_OK, "", "pid " + std::to_string(p->pid));
}

// https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcscloseprocess
__declspec(dllexport) void WINAPI HcsCloseProcess(HCS_PROCESS process) {
  auto* p = reinterpret_cast<Process*>(process);
  if (!p) return;
  {
    std::lock_guard lock(p->mu);
    p->closing = true;  // no callback after the close returns
    SetEvent(p->stop);
  }
  if (p->watcher && GetCurrentThreadId() != GetThreadId(p->watcher)) {
    WaitForSingleObject(p->watcher, INFINITE);
    CloseHandle(p->watcher);
  }
  CloseHandle(p->stop);
  CloseHandle(p->handle);
  if (!p->handed_out)
    for (HANDLE h : {p->info.StdInput, p->info.StdOutput, p->info.StdError})
      if (h) CloseHandle(h);
  Log(kDll, "HcsCloseProcess", S_OK, "pid " + std::to_string(p->pid));
  delete p;
}

}  // extern "C"
