// The registry client as the global flags configure it (--insecure-registry, --ca-cert,
// --config, --debug), shared by pull, push, copy, inspect, login and build --push.
#pragma once

#include <string>
#include <string_view>

#include "cli/command.h"
#include "registry/client.h"

namespace kiln::cli {

registry::ClientOptions ClientOptionsFor(const Globals& g);

// A registry host as users type it for login/logout ("https://index.docker.io/v1/",
// "localhost:5000", "docker.io") reduced to kiln's form ("docker.io", "localhost:5000").
std::string NormalizeRegistryHost(std::string_view server);

}  // namespace kiln::cli
