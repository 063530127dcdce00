// Where kiln looks for things on the host it runs on: the default store, docker's config
// directory, the system certs.d roots, environment variables as UTF-8. POSIX in
// core/host_env_posix.cc, Windows in core/windows/host_env_win.cc (paths with '/' separators).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::core {

// An environment variable as UTF-8; nullopt when unset or empty.
std::optional<std::string> GetEnv(std::string_view name);
// POSIX: $XDG_DATA_HOME/kiln, else ~/.local/share/kiln. Windows: %LOCALAPPDATA%/kiln.
std::string DefaultStoreRoot();
// $DOCKER_CONFIG, else ~/.docker (Windows: %USERPROFILE%/.docker).
std::string DefaultDockerConfigDir();
// The host-wide certs.d roots after the docker config dir's own: /etc/docker/certs.d and
// /etc/containers/certs.d (Windows: %ProgramData%/docker/certs.d).
std::vector<std::string> SystemCertsDirs();

}  // namespace kiln::core
