// A Windows host made of fakes for RUN-step tests: the vmcompute layer API, the file system, the
// compute API and the host, wired to the real snapshotter and executor, sharing one call log.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "builder/windows/hcs_executor.h"
#include "core/digest.h"
#include "layers/windows/tombstones.h"
#include "layers/windows/transport_writer.h"
#include "layers/windows/windowsfilter_snapshotter.h"
#include "tests/builder/fake_compute_api.h"
#include "tests/builder/fake_host_api.h"
#include "tests/layers/fake_layer_api.h"
#include "tests/layers/windows_entries.h"
#include "tests/support/test_env.h"

namespace kiln::testing {

using LayerEntries = std::vector<std::pair<layers::TarEntry, std::string>>;

inline LayerEntries BaseLayerEntries() {
  using layers::EntryType;
  return {{WinEntry("Files", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/Windows", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/Windows/System32", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/Windows/System32/cmd.exe", EntryType::kFile, 0x20), "MZ"}};
}

// A base layer that also carries the utility VM image (Hyper-V isolation boots from it):
// UtilityVM/Files with the UEFI boot manager and the boot store.
inline LayerEntries BaseLayerWithUtilityVmEntries() {
  using layers::EntryType;
  LayerEntries entries = BaseLayerEntries();
  for (const char* dir : {"UtilityVM", "UtilityVM/Files", "UtilityVM/Files/EFI",
                          "UtilityVM/Files/EFI/Microsoft", "UtilityVM/Files/EFI/Microsoft/Boot"})
    entries.push_back({WinEntry(dir, EntryType::kDirectory, 0x10), ""});
  entries.push_back({WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi",
                              EntryType::kFile, 0x20),
                     "MZ-bootmgr"});
  entries.push_back(
      {WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/BCD", EntryType::kFile, 0x20), "regf-bcd"});
  return entries;
}

inline LayerEntries AppLayerEntries() {
  using layers::EntryType;
  return {{WinEntry("Files", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app/app.exe", EntryType::kFile, 0x20), "MZ-app"},
          {WinEntry("Hives", EntryType::kDirectory, 0x10), ""}};
}

// What a step's commands change, as ExportLayer would write it: the fake container understands
// `cmd /S /C` followed by commands joined with `&&`, of which `echo TEXT> C:\PATH` writes a file
// holding "TEXT\r\n", `mkdir C:\PATH` makes a directory and `del C:\PATH` deletes a file (a
// tombstone); any other command changes no file. Every step changes the registry (a
// Hives/System_Delta), as Windows containers do. Returns the entries (parents first) and the
// tombstones.
struct StepEffect {
  LayerEntries entries;
  std::vector<std::string> tombstones;
};

inline StepEffect StepChanges(const std::vector<std::string>& command_lines) {
  using layers::EntryType;
  std::map<std::string, std::pair<layers::TarEntry, std::string>> by_name;
  auto add_dirs = [&](const std::string& name) {  // `name` and its parents up to Files
    for (size_t i = name.find('/'); i != std::string::npos; i = name.find('/', i + 1))
      by_name.try_emplace(name.substr(0, i),
                          std::pair{WinEntry(name.substr(0, i), EntryType::kDirectory, 0x10), ""});
    by_name.try_emplace(name, std::pair{WinEntry(name, EntryType::kDirectory, 0x10), ""});
  };
  auto container_path = [](std::string p) -> std::string {  // "C:\a\b" -> "Files/a/b"
    while (!p.empty() && p.front() == ' ') p.erase(0, 1);
    while (!p.empty() && p.back() == ' ') p.pop_back();
    if (p.size() < 4 || (p.substr(0, 3) != "C:\\" && p.substr(0, 3) != "c:\\")) return "";
    std::string out = "Files/" + p.substr(3);
    std::replace(out.begin(), out.end(), '\\', '/');
    return out;
  };
  StepEffect effect;
  add_dirs("Files");
  for (std::string line : command_lines) {
    if (line.starts_with("cmd /S /C ")) line = line.substr(10);
    if (line.size() >= 2 && line.front() == '"' && line.back() == '"')
      line = line.substr(1, line.size() - 2);
    for (size_t start = 0; start <= line.size();) {
      size_t end = line.find("&&", start);
      std::string cmd = line.substr(start, end == std::string::npos ? end : end - start);
      start = end == std::string::npos ? line.size() + 1 : end + 2;
      while (!cmd.empty() && cmd.front() == ' ') cmd.erase(0, 1);
      if (size_t gt = cmd.find('>'); cmd.starts_with("echo ") && gt != std::string::npos) {
        std::string name = container_path(cmd.substr(gt + 1));
        if (name.empty()) continue;
        add_dirs(name.substr(0, name.rfind('/')));
        by_name[name] = {WinEntry(name, EntryType::kFile, 0x20), cmd.substr(5, gt - 5) + "\r\n"};
      } else if (cmd.starts_with("mkdir ")) {
        if (std::string name = container_path(cmd.substr(6)); !name.empty()) add_dirs(name);
      } else if (cmd.starts_with("del ")) {
        std::string name = container_path(cmd.substr(4));
        if (name.empty()) continue;
        add_dirs(name.substr(0, name.rfind('/')));
        by_name.erase(name);
        effect.tombstones.push_back(name);
      }
    }
  }
  by_name["Hives"] = {WinEntry("Hives", EntryType::kDirectory, 0x10), ""};
  by_name["Hives/System_Delta"] = {WinEntry("Hives/System_Delta", EntryType::kFile, 0x20), "regf"};
  for (auto& [name, entry] : by_name) effect.entries.push_back(std::move(entry));
  return effect;
}

class WindowsRig : public layers::LayerOpener {
 public:
  // `utility_vm`: the base layer carries UtilityVM/ (Hyper-V isolation needs it).
  explicit WindowsRig(bool utility_vm = false) : layer_api(fs, &log), compute(&log) {
    layer_api.root_prefix = (dir.path() / "wf" / "").string();  // ends in the host's separator
    layers::windows::WindowsfilterOptions options;
    options.root = dir.path() / "wf";
    options.retry_delay = std::chrono::milliseconds(1);
    options.unpack = [this](const layers::SnapshotLayer& layer, core::Reader&,
                            layers::DiffSink& sink) {
      return Feed(sink, contents.at(layer.diff_id.hex()));
    };
    snapshotter.emplace(layer_api, fs, options);
    builder::windows::HcsExecutorOptions exec_options;
    exec_options.timeouts.poll = std::chrono::milliseconds(5);
    exec_options.timeouts.drain_after_exit = std::chrono::milliseconds(50);
    exec_options.host_processors = 8;
    executor.emplace(compute, layer_api, host, exec_options, &fs);
    AddParent(utility_vm ? BaseLayerWithUtilityVmEntries() : BaseLayerEntries(), 'b');
    // What Windows enforces between the host and a utility VM (fake_compute_api.h "Rules").
    compute.attached_on_host = [this](const std::string& vhd) {
      return layer_api.activated().contains(std::filesystem::path(vhd).parent_path().string());
    };
    compute.may_open = [this](const std::string& vm, const std::string& path) {
      return layer_api.GrantedTo(path).contains(vm);
    };
    compute.exists = [](const std::string& path) { return std::filesystem::exists(path); };
    AddParent(AppLayerEntries(), 'a');
    // ExportLayer writes what the commands that ran on the layer's volume changed.
    layer_api.export_content = [this](const std::string& layer, const std::string& folder) {
      // Process isolation ran on the layer's volume; Hyper-V isolation on its sandbox.vhdx.
      auto commands = compute.CommandsOn(layer_api.MountPathOf(layer));
      for (auto& c : compute.CommandsOn((std::filesystem::path(layer) / "sandbox.vhdx").string()))
        commands.push_back(c);
      StepEffect effect = StepChanges(commands);
      layers::windows::TransportWriter writer(fs, folder);
      if (!Feed(writer, effect.entries) || !writer.Finish()) return layers::windows::kHcsInvalidLayer;
      auto tombstones = layers::windows::FormatTombstones(effect.tombstones);
      if (!tombstones) return layers::windows::kHcsInvalidLayer;
      WriteFile(std::filesystem::path(folder) / "tombstones.txt", *tombstones);
      return layers::windows::HResult{0};
    };
  }

  core::Result<std::unique_ptr<core::Reader>> OpenLayer(const layers::SnapshotLayer&) override {
    return std::unique_ptr<core::Reader>(std::make_unique<core::StringReader>(""));
  }

  // A step of an ltsc2019 image: on the fake host (Windows Server 2022, with the Hyper-V role)
  // --isolation auto picks Hyper-V isolation.
  builder::RunSpec HyperVSpec() const {
    builder::RunSpec spec = Spec();
    spec.platform = *core::Platform::Parse("windows/amd64:10.0.17763.5458");
    return spec;
  }

  builder::RunSpec Spec() const {
    builder::RunSpec spec;
    spec.id = "kiln-step1";
    spec.command_line = "cmd /S /C echo built> C:\\app\\stamp.txt && del C:\\app\\old.log";
    spec.platform = *core::Platform::Parse("windows/amd64:10.0.20348.2340");
    return spec;
  }

  // What the builder does for one RUN step: prepare, run, diff when it succeeded, remove always.
  struct Outcome {
    core::Status prepared, ran, diffed, removed;
    std::optional<builder::ExitStatus> exit;
    CollectingSink diff;
  };
  Outcome RunStep(builder::RunSpec spec) {
    Outcome out;
    auto snap = snapshotter->Prepare("step1", parents, *this);
    if (!snap) {
      out.prepared = core::Fail(snap.error());
      return out;
    }
    spec.rootfs = snap->rootfs;
    spec.layer_folders = snap->layer_folders;
    spec.scratch_folder = snap->scratch;
    auto run = executor->Run(spec);
    if (!run) out.ran = core::Fail(run.error());
    if (run) out.exit = *run;
    if (run && run->exit_code == 0 && !run->timed_out)
      out.diffed = snapshotter->Diff(*snap, out.diff);
    out.removed = snapshotter->Remove(*snap);
    if (!out.removed) snap_for_retry = *snap;
    return out;
  }

  // Nothing of the step is left: handles, mounts, scratch and temp folders.
  void CheckNothingLeft() {
    CHECK(compute.open_operations() == 0);
    CHECK(compute.open_systems() == 0);
    CHECK(compute.open_processes() == 0);
    CHECK(compute.open_pipes() == 0);
    CHECK(compute.violations().empty());
    CHECK(layer_api.activated().empty());
    CHECK(layer_api.prepared().empty());
    for (const char* sub : {"scratch", "tmp"}) {
      auto d = dir.path() / "wf" / sub;
      CHECK((!std::filesystem::exists(d) || std::filesystem::is_empty(d)));
    }
  }

  TempDir dir;
  std::vector<std::string> log;
  FakeLayerFs fs;
  FakeLayerApi layer_api;
  FakeComputeApi compute;
  FakeHostApi host;
  std::optional<layers::windows::WindowsfilterSnapshotter> snapshotter;
  std::optional<builder::windows::HcsExecutor> executor;
  std::vector<layers::SnapshotLayer> parents;    // bottom first
  std::map<std::string, LayerEntries> contents;  // by diff_id hex
  std::optional<layers::Snapshot> snap_for_retry;

 private:
  void AddParent(LayerEntries entries, char fill) {
    layers::SnapshotLayer layer;
    layer.diff_id = *core::Digest::Parse("sha256:" + std::string(64, fill));
    contents[layer.diff_id.hex()] = std::move(entries);
    parents.push_back(layer);
  }
};

}  // namespace kiln::testing
