// The Executor seam (ARCHITECTURE "Seams"): runs one RUN step in a process-isolated container
// on a prepared root. Linux: runc (builder/linux/). Windows: HCS (builder/windows/).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/platform.h"
#include "core/source_range.h"

namespace kiln::builder {

// How Windows RUN steps are isolated (`kiln build --isolation`): kAuto picks process isolation
// where the host's build can run the image's, else Hyper-V isolation where the host has the
// Hyper-V role (builder/windows/preflight.h). Linux steps ignore it.
enum class Isolation { kAuto, kProcess, kHyperV };
inline std::string_view IsolationName(Isolation isolation) {
  switch (isolation) {
    case Isolation::kProcess: return "process";
    case Isolation::kHyperV: return "hyperv";
    case Isolation::kAuto: break;
  }
  return "auto";
}
// Parses what `--isolation` accepts: auto, process, hyperv (also docker's spelling "default" for
// auto); kInvalidInput otherwise.
inline core::Result<Isolation> ParseIsolation(std::string_view text) {
  if (text == "auto" || text == "default") return Isolation::kAuto;
  if (text == "process") return Isolation::kProcess;
  if (text == "hyperv") return Isolation::kHyperV;
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "--isolation \"" + std::string(text) + "\": use auto, process or hyperv");
}

// Sizing of the utility VM of a Hyper-V isolated step (`--hyperv-memory`, `--hyperv-cpus`); the
// defaults are hcsshim's (internal/uvm/create.go:231-243 newDefaultOptions: 1024 MB, 2
// processors).
struct UtilityVmSize {
  uint64_t memory_mb = 1024;
  uint32_t processors = 2;
};

struct RunMount {
  enum class Type { kBind, kCache, kTmpfs, kSecret };
  Type type = Type::kBind;
  std::string source;  // host path (bind, cache, secret file); empty for tmpfs
  std::string data;    // a secret's bytes when it has no file (--secret id=..,env=VAR)
  std::string target;  // path inside the container; empty for a secret given as `env` only
  std::string env;     // secret: also set this environment variable to its bytes (BuildKit env=)
  std::vector<std::string> hidden;  // bind: paths below `source` the step must not see
                                    // (.dockerignore), relative to it, sorted
  std::string sharing;              // cache: shared | private | locked ("" = shared)
  bool read_only = false;
  uint64_t size_bytes = 0;  // tmpfs size limit (0 = default)
  uint32_t mode = 0;        // secret/cache mode bits (0 = default)
  uint32_t uid = 0, gid = 0;
};

struct RunSpec {
  std::string id;                          // unique per step, e.g. "kiln-<cache key prefix>"
  std::string stage;                       // for messages
  core::SourceRange where;                 // the RUN instruction
  core::Platform platform;                 // target platform of the stage
  std::string rootfs;                      // Snapshot::rootfs
  std::vector<std::string> layer_folders;  // Snapshot::layer_folders (Windows)
  std::string scratch_folder;              // Snapshot::scratch (Windows: the scratch layer)
  std::vector<std::string> argv;           // Linux: exec argv (SHELL + command for shell form)
  std::string command_line;                // Windows: the full command line (SHELL or cmd /S /C)
  std::vector<std::string> env;            // "K=V"
  std::string working_dir;
  std::string user;                        // "name", "uid[:gid]", "ContainerUser"...
  std::string hostname;
  bool network_host = false;               // RUN --network=host; default: no network
  std::vector<RunMount> mounts;
  std::chrono::seconds timeout{0};         // 0 = none
  std::function<void(std::string_view)> on_stdout;  // called with chunks of output
  std::function<void(std::string_view)> on_stderr;
};

struct ExitStatus {
  int exit_code = 0;
  bool timed_out = false;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Human name for messages ("runc", "HCS process isolation").
  virtual std::string Name() const = 0;
  // Checks, before any build work, that this host can run steps for `target` (root/elevation,
  // runtime binaries, Windows build compatibility...). The error says what is needed.
  virtual core::Status Preflight(const core::Platform& target) = 0;
  // Runs the step; a non-zero exit is an ExitStatus, not an Error. Errors are for failures to
  // start or supervise the container; the container is gone when Run returns either way.
  virtual core::Result<ExitStatus> Run(const RunSpec& spec) = 0;
  // The isolation the last successful Preflight chose ("process", "hyperv"); "" where the
  // executor has no such choice (runc).
  virtual std::string IsolationChosen() const { return {}; }
  // Stops and deletes containers (and their bundles and mounts) of kiln processes that died,
  // leaving those of live ones alone. Cheap when there is nothing to sweep; called whenever a
  // command opens the store (builder/store_open.h). Default: nothing to sweep.
  virtual core::Status SweepStale() { return {}; }
};

}  // namespace kiln::builder
