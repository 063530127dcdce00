// Windows half of tests/support/test_env.h, for the suites cross-built by
// scripts/windows_check.sh: temp dirs and environment variables. Subprocesses (Run, Shell, Kiln, Background) and
// loopback ports have no Windows implementation yet, so a suite that uses them does not link for
// Windows; the POSIX half is test_env_posix.cc.
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

}  // namespace kiln::testing
