// The command-line seam: global options shared by every verb, and self-registration of verbs.
// Each verb lives in its own cmd_<verb>.cc, registers itself with a CommandRegistrar, parses its
// flags with CLI11 and calls one function of builder/ (or layers/, registry/, parser/).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.h"

namespace kiln::cli {

struct Globals {
  std::string root;                             // --root; empty = default store location
  bool debug = false;                           // --debug
  std::string progress = "auto";                // --progress auto|plain|json|quiet
  std::vector<std::string> insecure_registries;  // --insecure-registry (repeatable)
  std::string ca_cert;                          // --ca-cert FILE
  std::string registry_config;                  // --config DIR (docker config dir)
  int registry_timeout = 120;                   // --registry-timeout SECONDS (0 = none)
  core::Status status;  // what the verb's callback returned
  int exit_code = -1;   // a verb may set an explicit exit code (e.g. analyze --ci)
};

// The local store directory: --root, else $XDG_DATA_HOME/kiln, else ~/.local/share/kiln.
std::string StoreRoot(const Globals& g);

using AddCommandFn = void (*)(CLI::App& app, Globals& globals);

// Registers a verb; `order` sorts verbs in --help. Use at namespace scope in cmd_<verb>.cc:
//   static const CommandRegistrar kReg(40, &AddParseCommand);
struct CommandRegistrar {
  CommandRegistrar(int order, AddCommandFn add);
};

// Maps an error to kiln's exit codes: 1 build/step failure, 2 usage or input error,
// 3 registry/network error, 130 interrupted.
int ExitCodeFor(const core::Error& error);

}  // namespace kiln::cli
