// Runs docker credential helpers: `docker-credential-<name> get|store|erase` with the request on
// stdin and the answer on stdout (docker-credential-helpers protocol).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::registry {

struct HelperResult {
  int exit_code = -1;
  std::string out;  // stdout (helpers print their error messages there too)
};

// Runs `docker-credential-<name> <action>` found on PATH with `input` on stdin. Fails with
// kNotFound when the program does not exist, kIo when it cannot be started.
core::Result<HelperResult> RunCredentialHelper(std::string_view name, std::string_view action,
                                               std::string_view input);

}  // namespace kiln::registry
