// core/host_env.h on POSIX hosts.
#include <cstdlib>

#include "core/host_env.h"

namespace kiln::core {

std::optional<std::string> GetEnv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string DefaultStoreRoot() {
  if (auto xdg = GetEnv("XDG_DATA_HOME")) return *xdg + "/kiln";
  return GetEnv("HOME").value_or(".") + "/.local/share/kiln";
}

std::string DefaultDockerConfigDir() {
  if (auto d = GetEnv("DOCKER_CONFIG")) return *d;
  return GetEnv("HOME").value_or(".") + "/.docker";
}

std::vector<std::string> SystemCertsDirs() {
  return {"/etc/docker/certs.d", "/etc/containers/certs.d"};
}

}  // namespace kiln::core
