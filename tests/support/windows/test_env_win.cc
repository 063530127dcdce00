// Windows half of tests/support/test_env.h, for the [unit] suites of tests/windows_suites.cmake
// (run under wine by scripts/windows_unit.sh): temp dirs, environment variables, LinkStatus.
// Subprocesses (Run, Shell, Kiln, Background) and loopback ports have no Windows implementation:
// only [integration] tests use them, and those are not built for Windows; they throw here, so a
// [unit] test that reaches one fails saying so. The POSIX half is test_env_posix.cc.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <system_error>

#include "tests/support/test_env.h"

namespace kiln::testing {

// %TEMP%\kiln-test-<random>; create_directory fails on an existing name, so a clash retries.
TempDir::TempDir() {
  std::random_device rd;
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) throw std::runtime_error("no temp directory: " + ec.message());
  for (int attempt = 0; attempt < 100; ++attempt) {
    char name[32];
    std::snprintf(name, sizeof name, "kiln-test-%08x", static_cast<unsigned>(rd()));
    if (fs::create_directory(base / name, ec)) {
      path_ = base / name;
      return;
    }
  }
  throw std::runtime_error("could not create a temp dir under " + base.string());
}

// _putenv_s updates the C runtime's copy that std::getenv reads; "" removes the variable.
void SetEnv(const std::string& name, const char* value) {
  _putenv_s(name.c_str(), value ? value : "");
}

namespace {

[[noreturn]] void NoProcesses(const char* what) {
  throw std::runtime_error(std::string("tests/support: ") + what +
                           " has no Windows half (it serves [integration] tests, which do not "
                           "run under wine)");
}

}  // namespace

CommandResult Run(const std::vector<std::string>&, const std::map<std::string, std::string>&,
                  const std::string&) {
  NoProcesses("Run");
}
CommandResult Shell(const std::string&, const std::map<std::string, std::string>&) {
  NoProcesses("Shell");
}
CommandResult Kiln(const std::vector<std::string>&, const std::map<std::string, std::string>&) {
  NoProcesses("Kiln");
}
Background::Background(const std::vector<std::string>&, const fs::path&,
                       const std::map<std::string, std::string>&) {
  NoProcesses("Background");
}
Background::~Background() = default;
bool Background::running() const { return false; }
void Background::Stop() {}
int FreePort() { NoProcesses("FreePort"); }
bool WaitForPort(int, int) { NoProcesses("WaitForPort"); }

// GetFileInformationByHandle on a handle that does not follow a final reparse point (lstat's
// view); FILETIME counts 100 ns ticks since 1601-01-01.
std::optional<LinkStatusInfo> LinkStatus(const fs::path& p) {
  HANDLE h = CreateFileW(p.c_str(), FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                         nullptr);
  if (h == INVALID_HANDLE_VALUE) return std::nullopt;
  BY_HANDLE_FILE_INFORMATION info{};
  bool ok = GetFileInformationByHandle(h, &info);
  CloseHandle(h);
  if (!ok) return std::nullopt;
  constexpr int64_t kUnixEpochTicks = 116444736000000000;  // 1970-01-01 in FILETIME ticks
  int64_t ticks = (int64_t(info.ftLastWriteTime.dwHighDateTime) << 32 |
                   info.ftLastWriteTime.dwLowDateTime) - kUnixEpochTicks;
  int64_t sec = ticks / 10000000, rem = ticks % 10000000;
  if (rem < 0) { --sec; rem += 10000000; }
  return LinkStatusInfo{info.dwVolumeSerialNumber,
                        uint64_t(info.nFileIndexHigh) << 32 | info.nFileIndexLow,
                        uint32_t(info.nNumberOfLinks), sec, uint32_t(rem * 100)};
}

}  // namespace kiln::testing
