// Test helpers shared by every tests/<folder>: temp dirs, paths to the kiln binary, the source
// tree and ../shared, and running subprocesses with captured output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::testing {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

fs::path KilnBinary();   // build/kiln
fs::path SourceDir();    // the repository root
fs::path SharedDir();    // ../shared (or $KILN_SHARED_DIR)

struct CommandResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;
  std::string err;
};

// Runs argv (no shell), waits, captures stdout and stderr. `env` entries are added to the
// environment; `stdin_data` is written to its stdin.
CommandResult Run(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env = {},
                  const std::string& stdin_data = "");
// Runs `bash -c script`.
CommandResult Shell(const std::string& script, const std::map<std::string, std::string>& env = {});
// Runs kiln with the given arguments.
CommandResult Kiln(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env = {});

// A background process started by a test, stopped (SIGTERM, then SIGKILL) by PID on destruction.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const fs::path& log_file,
             const std::map<std::string, std::string>& env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return pid_; }
  bool running() const;
  void Stop();

 private:
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// Polls until a TCP connect to 127.0.0.1:port succeeds; false after timeout_ms.
bool WaitForPort(int port, int timeout_ms = 10000);

// True only when UPDATE_GOLDEN is exactly "1": golden tests then rewrite their expected files
// (review the diff like code). Any other value, "0" included, compares.
bool UpdateGolden();

// Sets an environment variable of this process; nullptr unsets it. (On Windows, the C runtime
// treats an empty value as unset.)
void SetEnv(const std::string& name, const char* value);

// What lstat(2) tells about a path (never following a symlink), as far as Windows has it too:
// the file's identity (POSIX: st_dev/st_ino; Windows: volume serial number/file index), its
// link count and last write time. nullopt when the path does not exist.
struct LinkStatusInfo {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint32_t links = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
};
std::optional<LinkStatusInfo> LinkStatus(const fs::path& p);

std::string ReadFile(const fs::path& p);
void WriteFile(const fs::path& p, const std::string& data);

}  // namespace kiln::testing
