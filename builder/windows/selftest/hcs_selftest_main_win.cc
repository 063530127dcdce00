// kiln-hcs-selftest.exe: a small Windows program built by `make windows-check` around the HCS
// executor, the windowsfilter snapshotter and the pre-flight, for trying them on a real Windows
// host (none exists where kiln is developed: nothing here has been run on Windows yet).
//
//   kiln-hcs-selftest neutral                 platform-neutral checks plus real Win32 file I/O
//                                             in %TEMP% (no HCS needed)
//   kiln-hcs-selftest preflight [OS.VERSION]  elevation, Containers feature, privileges, and
//                                             whether this host can run an image of OS.VERSION
//   kiln-hcs-selftest base FOLDER LAYER       writes FOLDER's tree as the base layer folder
//                                             LAYER (BackupWrite per entry, ProcessBaseImage);
//                                             a file "NAME.hardlink" holding "Files/TARGET"
//                                             becomes a hard link NAME to TARGET
//   kiln-hcs-selftest run [OPTION]... LAYER... -- CMDLINE
//                                             one RUN step on existing windowsfilter layer
//                                             folders (nearest first, e.g. docker's), printing
//                                             its output and the entries of its diff. Options:
//                                             --exec (the words after -- are an argv, joined
//                                             as an exec-form RUN is), --workdir DIR,
//                                             --timeout SECONDS, --hcs-timeout MS (every HCS
//                                             wait), --commit FOLDER (import the
//                                             diff as a new layer folder on the chain, as the
//                                             next step's parent)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "builder/host_executor.h"
#include "builder/windows/computecore_api.h"
#include "builder/windows/hcs_executor.h"
#include "core/platform.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/layer_importer.h"
#include "layers/windows/transport_reader.h"
#include "layers/windows/transport_writer.h"
#include "layers/windows/vmcompute_layer_api.h"
#include "layers/windows/win32_host_api.h"
#include "layers/windows/win32_layer_fs.h"
#include "layers/windows/win32_util_win.h"
#include "layers/windows/windowsfilter_snapshotter.h"

namespace {

using namespace kiln;
namespace lw = kiln::layers::windows;
namespace bw = kiln::builder::windows;

int Report(const core::Error& e) {
  std::fprintf(stderr, "kiln-hcs-selftest: %s\n", e.message.c_str());
  return 1;
}

// Prints each diff entry: type, attributes, size, name (and link target).
struct PrintingSink : layers::DiffSink {
  size_t count = 0;
  core::Status Add(const layers::TarEntry& e, core::Reader* content) override {
    ++count;
    std::printf("  %c %08x %10llu %s%s%s\n", static_cast<char>(e.type),
                e.win_attributes.value_or(0), static_cast<unsigned long long>(e.size),
                e.name.c_str(), e.linkname.empty() ? "" : " -> ", e.linkname.c_str());
    return lw::Drain(content);
  }
};

// Writes a small layer as a transport folder with the real Win32 file code and reads it back.
int Neutral() {
  lw::Win32LayerFs fs;
  wchar_t temp[MAX_PATH + 1];
  GetTempPathW(MAX_PATH, temp);
  std::filesystem::path root = std::filesystem::path(temp) / L"kiln-selftest-transport";
  (void)fs.RemoveTree(root);
  if (auto s = fs.MakeDirectory(root); !s) return Report(s.error());
  lw::TransportWriter writer(fs, root);
  std::vector<std::pair<layers::TarEntry, std::string>> entries(3);
  entries[0].first.name = "Files";
  entries[0].first.type = layers::EntryType::kDirectory;
  entries[1].first.name = "Files/hello.txt";
  entries[1].second = "hello from kiln\r\n";
  entries[1].first.size = entries[1].second.size();
  entries[1].first.win_attributes = 0x20;
  entries[2].first.name = "Files/hello.txt:zone";
  entries[2].second = "[ZoneTransfer]";
  entries[2].first.size = entries[2].second.size();
  for (auto& [entry, content] : entries) {
    entry.mtime = {1700000000, 0};
    core::StringReader reader(content);
    if (auto s = writer.Add(entry, content.empty() ? nullptr : &reader); !s)
      return Report(s.error());
  }
  if (auto s = writer.Finish(); !s) return Report(s.error());
  PrintingSink sink;
  if (auto s = lw::TransportReader(fs, root).Run(sink); !s) return Report(s.error());
  (void)fs.RemoveTree(root);
  if (sink.count != 3) {
    std::fprintf(stderr, "kiln-hcs-selftest: read back %zu entries, wrote 3\n", sink.count);
    return 1;
  }
  std::printf("neutral: ok\n");
  return 0;
}

// Emits `dir`'s tree as base-layer entries under `prefix` (parents first).
core::Status EmitTree(lw::Win32LayerFs& fs, const std::filesystem::path& dir,
                      const std::string& prefix, layers::DiffSink& sink) {
  // O:BAG:BA, self-relative (samples/bases/make_synthetic_bases.py SD_ADMIN).
  static const unsigned char kSd[] = {1, 0, 0, 0x80, 0x14, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0,
                                      0, 1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0};
  KILN_ASSIGN(auto list, fs.List(dir));
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& e : list) {
    layers::TarEntry entry;
    entry.name = prefix + "/" + e.name;
    entry.mtime = {1704067200, 0};
    entry.win_security_descriptor.assign(reinterpret_cast<const char*>(kSd), sizeof kSd);
    auto path = dir / lw::PathFromUtf8(e.name);
    if (e.attributes & lw::kAttrDirectory) {
      entry.type = layers::EntryType::kDirectory;
      entry.win_attributes = 0x10;
      KILN_TRY(sink.Add(entry, nullptr));
      KILN_TRY(EmitTree(fs, path, entry.name, sink));
      continue;
    }
    KILN_ASSIGN(auto file, fs.Open(path));
    std::string content(static_cast<size_t>(file->Size()), '\0');
    KILN_ASSIGN(size_t n, file->ReadAt(0, content.data(), content.size()));
    content.resize(n);
    if (entry.name.ends_with(".hardlink")) {
      entry.name.resize(entry.name.size() - 9);
      entry.type = layers::EntryType::kHardLink;
      entry.linkname = content.substr(0, content.find_first_of("\r\n"));
      KILN_TRY(sink.Add(entry, nullptr));
      continue;
    }
    entry.win_attributes = 0x20;
    entry.size = content.size();
    core::StringReader reader(content);
    KILN_TRY(sink.Add(entry, &reader));
  }
  return {};
}

int WriteBase(const std::string& folder, const std::string& layer) {
  lw::VmcomputeLayerApi layer_api;
  if (auto s = layer_api.Load(); !s) return Report(s.error());
  lw::Win32LayerFs fs;
  lw::LayerImporter importer(layer_api, fs);
  lw::EntrySource entries = [&](layers::DiffSink& sink) -> core::Status {
    layers::TarEntry files;
    files.name = "Files";
    files.type = layers::EntryType::kDirectory;
    files.win_attributes = 0x10;
    files.mtime = {1704067200, 0};
    KILN_TRY(sink.Add(files, nullptr));
    return EmitTree(fs, lw::PathFromUtf8(folder), "Files", sink);
  };
  if (auto s = fs.MakeDirectory(lw::PathFromUtf8(layer)); !s) return Report(s.error());
  if (auto s = importer.Import(lw::PathFromUtf8(layer), {}, {}, entries); !s)
    return Report(s.error());
  std::printf("base layer %s written\n", layer.c_str());
  return 0;
}

int Preflight(const std::string& version) {
  auto executor = builder::MakeHostExecutor("");
  auto target = core::Platform::Parse("windows/amd64" + (version.empty() ? "" : ":" + version));
  if (!target) return Report(target.error());
  if (auto s = executor->Preflight(*target); !s) return Report(s.error());
  std::printf("preflight: ok (%s)\n", executor->Name().c_str());
  return 0;
}

struct RunOptions {
  bool exec = false;
  std::string workdir, commit;
  int timeout_seconds = 0;
  int hcs_timeout_ms = 0;  // 0: HcsTimeouts' defaults
};

// Passes each diff entry on to `next` (the importer's sink) and prints it.
struct TeeSink : layers::DiffSink {
  layers::DiffSink& next;
  PrintingSink printer;
  explicit TeeSink(layers::DiffSink& n) : next(n) {}
  core::Status Add(const layers::TarEntry& e, core::Reader* content) override {
    std::printf("  %c %08x %10llu %s\n", static_cast<char>(e.type), e.win_attributes.value_or(0),
                static_cast<unsigned long long>(e.size), e.name.c_str());
    return next.Add(e, content);
  }
};

int RunStep(const std::vector<std::string>& folders, const std::vector<std::string>& words,
            const RunOptions& run) {
  bw::ComputecoreApi compute;
  lw::VmcomputeLayerApi layer_api;
  lw::Win32HostApi host([&]() -> core::Status {
    KILN_TRY(compute.Load());
    return layer_api.Load();
  });
  bw::HcsExecutorOptions executor_options;
  if (run.hcs_timeout_ms > 0) {
    auto& t = executor_options.timeouts;
    t.create = t.start = t.create_process = t.query = t.shutdown = t.terminate =
        std::chrono::milliseconds(run.hcs_timeout_ms);
  }
  bw::HcsExecutor executor(compute, layer_api, host, executor_options);
  if (auto s = executor.Preflight(*core::Platform::Parse("windows/amd64")); !s)
    return Report(s.error());
  lw::Win32LayerFs fs;
  lw::WindowsfilterOptions options;
  wchar_t temp[MAX_PATH + 1];
  GetTempPathW(MAX_PATH, temp);
  options.root = std::filesystem::path(temp) / L"kiln-selftest";
  lw::WindowsfilterSnapshotter snapshotter(layer_api, fs, options);
  snapshotter.Sweep();
  auto snap = snapshotter.PrepareScratch("selftest", folders);
  if (!snap) return Report(snap.error());
  builder::RunSpec spec;
  spec.id = "kiln-selftest";
  spec.rootfs = snap->rootfs;
  spec.layer_folders = snap->layer_folders;
  if (run.exec) {
    spec.argv = words;
  } else {
    for (const auto& w : words) spec.command_line += (spec.command_line.empty() ? "" : " ") + w;
  }
  spec.working_dir = run.workdir;
  spec.timeout = std::chrono::seconds(run.timeout_seconds);
  spec.on_stdout = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  spec.on_stderr = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stderr); };
  auto status = executor.Run(spec);
  int rc = 0;
  if (!status) {
    rc = Report(status.error());
  } else {
    std::printf("exit code %d%s\ndiff:\n", status->exit_code,
                status->timed_out ? " (timed out)" : "");
    if (run.commit.empty()) {
      PrintingSink sink;
      if (auto s = snapshotter.Diff(*snap, sink); !s) rc = Report(s.error());
    } else {
      // The diff becomes a read-only layer on the same chain (what kiln's next Prepare does
      // with a RUN layer from the store), through the transport folder and ImportLayer.
      lw::LayerImporter importer(layer_api, fs);
      lw::EntrySource entries = [&](layers::DiffSink& sink) {
        TeeSink tee(sink);
        return snapshotter.Diff(*snap, tee);
      };
      auto staging = options.root / L"tmp" / L"selftest-commit";
      if (auto s = importer.Import(lw::PathFromUtf8(run.commit), folders, staging, entries); !s)
        rc = Report(s.error());
      else
        std::printf("committed %s\n", run.commit.c_str());
    }
  }
  if (auto s = snapshotter.Remove(*snap); !s) rc = Report(s.error());
  return rc;
}

int Usage() {
  std::fprintf(stderr,
               "usage: kiln-hcs-selftest neutral\n"
               "       kiln-hcs-selftest preflight [OS.VERSION]\n"
               "       kiln-hcs-selftest base FOLDER LAYER_FOLDER\n"
               "       kiln-hcs-selftest run [--exec] [--workdir DIR] [--timeout S] [--hcs-timeout MS]\n"
               "                             [--commit FOLDER]\n"
               "                             LAYER_FOLDER... -- COMMAND LINE\n");
  return 2;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(lw::Narrow(argv[i]));
  if (args.empty()) return Usage();
  if (args[0] == "neutral") return Neutral();
  if (args[0] == "base" && args.size() == 3) return WriteBase(args[1], args[2]);
  if (args[0] == "preflight") return Preflight(args.size() > 1 ? args[1] : "");
  if (args[0] == "run") {
    RunOptions run;
    std::vector<std::string> folders, words;
    size_t i = 1;
    for (; i < args.size() && args[i] != "--"; ++i) {
      const bool has_value = i + 1 < args.size();
      if (args[i] == "--exec") {
        run.exec = true;
      } else if (args[i] == "--workdir" && has_value) {
        run.workdir = args[++i];
      } else if (args[i] == "--timeout" && has_value) {
        run.timeout_seconds = std::atoi(args[++i].c_str());
      } else if (args[i] == "--hcs-timeout" && has_value) {
        run.hcs_timeout_ms = std::atoi(args[++i].c_str());
      } else if (args[i] == "--commit" && has_value) {
        run.commit = args[++i];
      } else {
        folders.push_back(args[i]);
      }
    }
    for (++i; i < args.size(); ++i) words.push_back(args[i]);
    if (folders.empty() || words.empty()) return Usage();
    return RunStep(folders, words, run);
  }
  return Usage();
}
