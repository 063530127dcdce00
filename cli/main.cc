// kiln entry point: global flags, verb dispatch, one-line errors and exit codes. The host's
// own entry point (main, wmain) is in cli/console_posix.cc / cli/windows/console_win.cc.
#include <algorithm>
#include <iostream>
#include <utility>

#include "cli/command.h"
#include "cli/console.h"
#include "core/host_env.h"

namespace kiln::cli {
namespace {

std::vector<std::pair<int, AddCommandFn>>& Registry() {
  static std::vector<std::pair<int, AddCommandFn>> commands;
  return commands;
}

}  // namespace

CommandRegistrar::CommandRegistrar(int order, AddCommandFn add) {
  Registry().emplace_back(order, add);
}

std::string StoreRoot(const Globals& g) {
  if (!g.root.empty()) return g.root;
  return core::DefaultStoreRoot();
}

int ExitCodeFor(const core::Error& error) {
  using core::ErrorCode;
  switch (error.code) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kUnsupported:
    case ErrorCode::kConflict: return 2;
    case ErrorCode::kNetwork:
    case ErrorCode::kUnauthorized: return 3;
    case ErrorCode::kCancelled: return 130;
    default: return 1;
  }
}

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"kiln: compiles Dockerfiles into Windows (and Linux) container images, pushes them "
               "to OCI registries and shrinks them. Daemonless.",
               "kiln"};
  app.set_version_flag("--version", "kiln " KILN_VERSION);
  // Options are -x and --xyz on every host, as docker's: CLI11 would read "/path" as an option
  // on Windows (its default there), so `kiln.exe build /src/app` failed.
  app.allow_windows_style_options(false);
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("--root", g.root, "Local store directory (default $XDG_DATA_HOME/kiln)");
  app.add_flag("--debug", g.debug, "Verbose diagnostics on stderr (secrets are never printed)");
  app.add_option("--progress", g.progress, "Progress output: auto, plain, json or quiet")
      ->check(CLI::IsMember({"auto", "plain", "json", "quiet", "tty"}));
  app.add_option("--insecure-registry", g.insecure_registries,
                 "Allow plain HTTP to this registry host[:port] (loopback is always allowed)");
  app.add_option("--ca-cert", g.ca_cert, "Extra CA certificate (PEM) trusted for registries");
  app.add_option("--registry-timeout", g.registry_timeout,
                 "Seconds one registry request may take (manifests, tokens; blobs get this plus "
                 "their size at 64 KiB/s); 0 = no deadline (default 120)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--config", g.registry_config,
                 "Docker config directory with config.json (default $DOCKER_CONFIG or ~/.docker)");

  auto& commands = Registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, add] : commands) add(app, g);

  InstallInterruptHandler();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "kiln: " << e.what() << " (see kiln --help)\n";
    return 2;
  }
  if (!g.status) {
    const core::Error& err = g.status.error();
    std::cerr << (err.location && err.location->valid() ? "" : "kiln: ") << err.ToString() << "\n";
    return g.exit_code >= 0 ? g.exit_code : ExitCodeFor(err);
  }
  return g.exit_code >= 0 ? g.exit_code : 0;
}

}  // namespace

int Main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "kiln: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace kiln::cli
