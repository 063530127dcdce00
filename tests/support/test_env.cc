// Platform-neutral half of tests/support/test_env.h (paths, files); the platform halves are
// test_env_posix.cc and windows/test_env_win.cc.
#include "tests/support/test_env.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kiln::testing {

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path KilnBinary() { return KILN_BINARY; }
fs::path SourceDir() { return KILN_SOURCE_DIR; }
fs::path SharedDir() {
  if (const char* s = std::getenv("KILN_SHARED_DIR"); s && *s) return s;
  return KILN_SHARED_DIR;
}

bool UpdateGolden() {
  const char* v = std::getenv("UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& data) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << data;
}

}  // namespace kiln::testing
