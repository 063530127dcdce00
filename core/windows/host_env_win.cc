// core/host_env.h on Windows: the variables through _wgetenv (UTF-16 -> UTF-8), paths with '/'.
#include <cstdlib>

#include "core/host_env.h"
#include "core/windows/win_text.h"

namespace kiln::core {
namespace {

std::string Slashes(std::string s) {
  for (char& c : s)
    if (c == '\\') c = '/';
  return s;
}

}  // namespace

std::optional<std::string> GetEnv(std::string_view name) {
  const wchar_t* v = _wgetenv(sys::Utf8ToWide(name).c_str());
  if (!v || !*v) return std::nullopt;
  return sys::WideToUtf8(v);
}

std::string DefaultStoreRoot() {
  if (auto local = GetEnv("LOCALAPPDATA")) return Slashes(*local) + "/kiln";
  return GetEnv("USERPROFILE").transform(Slashes).value_or(".") + "/AppData/Local/kiln";
}

std::string DefaultDockerConfigDir() {
  if (auto d = GetEnv("DOCKER_CONFIG")) return *d;
  return GetEnv("USERPROFILE").transform(Slashes).value_or(".") + "/.docker";
}

std::vector<std::string> SystemCertsDirs() {
  return {GetEnv("ProgramData").transform(Slashes).value_or("C:/ProgramData") +
          "/docker/certs.d"};
}

}  // namespace kiln::core
