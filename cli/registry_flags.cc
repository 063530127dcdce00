#include "cli/registry_flags.h"

#include <cstdio>
#include <mutex>

#include "core/reference.h"

namespace kiln::cli {

registry::ClientOptions ClientOptionsFor(const Globals& g) {
  registry::ClientOptions o;
  o.insecure_registries = g.insecure_registries;
  o.ca_cert = g.ca_cert;
  o.config_dir = g.registry_config;
  o.timeout_seconds = g.registry_timeout;
  if (g.debug) {
    o.debug_log = [](std::string_view line) {
      static std::mutex mu;
      std::lock_guard lock(mu);
      std::fprintf(stderr, "kiln: debug: %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  return o;
}

std::string NormalizeRegistryHost(std::string_view server) {
  if (size_t s = server.find("://"); s != std::string_view::npos) server.remove_prefix(s + 3);
  server = server.substr(0, server.find('/'));
  std::string host(server);
  if (host.empty() || host == "index.docker.io" || host == "registry-1.docker.io")
    return std::string(core::kDockerHub);
  return host;
}

}  // namespace kiln::cli
