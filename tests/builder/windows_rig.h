// A Windows host made of fakes for RUN-step tests: the vmcompute layer API, the file system, the
// compute API and the host, wired to the real snapshotter and executor, sharing one call log.
#pragma once

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

inline LayerEntries AppLayerEntries() {
  using layers::EntryType;
  return {{WinEntry("Files", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app/app.exe", EntryType::kFile, 0x20), "MZ-app"},
          {WinEntry("Hives", EntryType::kDirectory, 0x10), ""}};
}

// What the step changed, as ExportLayer would write it.
inline LayerEntries StepChanges() {
  using layers::EntryType;
  return {{WinEntry("Files", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Files/app/stamp.txt", EntryType::kFile, 0x20), "built\r\n"},
          {WinEntry("Hives", EntryType::kDirectory, 0x10), ""},
          {WinEntry("Hives/System_Delta", EntryType::kFile, 0x20), "regf"}};
}

class WindowsRig : public layers::LayerOpener {
 public:
  WindowsRig() : layer_api(fs, &log), compute(&log) {
    layer_api.root_prefix = (dir.path() / "wf").string() + "/";
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
    executor.emplace(compute, layer_api, host, exec_options);
    AddParent(BaseLayerEntries(), 'b');
    AddParent(AppLayerEntries(), 'a');
    // The transport folder the fake ExportLayer hands out.
    auto exported = dir.path() / "export-source";
    std::filesystem::create_directory(exported);
    layers::windows::TransportWriter writer(fs, exported);
    REQUIRE(Feed(writer, StepChanges()));
    REQUIRE(writer.Finish());
    WriteFile(exported / "tombstones.txt",
              *layers::windows::FormatTombstones({"Files/app/old.log"}));
    layer_api.export_source = exported;
  }

  core::Result<std::unique_ptr<core::Reader>> OpenLayer(const layers::SnapshotLayer&) override {
    return std::unique_ptr<core::Reader>(std::make_unique<core::StringReader>(""));
  }

  builder::RunSpec Spec() const {
    builder::RunSpec spec;
    spec.id = "kiln-step1";
    spec.command_line = "cmd /S /C echo built> C:\\app\\stamp.txt";
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
