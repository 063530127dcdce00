// kiln inspect NAME|REF: manifest, config and layer table of a local image; a reference that is
// not in the local store is looked up in its registry (JSON with manifest and config).
#include <iostream>
#include <sstream>

#include "builder/store_open.h"
#include "cli/command.h"
#include "cli/inspect_remote.h"
#include "layers/image_inspect.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct InspectArgs {
  std::string name;
  bool json = false;
  bool remote = false;
  std::string platform;
};

core::Status RunInspect(Globals& g, const InspectArgs& a) {
  std::optional<core::Platform> platform;
  if (!a.platform.empty()) {
    KILN_ASSIGN(platform, core::Platform::Parse(a.platform));
  }
  if (!a.remote) {
    KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
    auto report = layers::InspectLocal(*store, a.name);
    if (report) {
      std::cout << layers::RenderInspection(*report, a.json);
      return {};
    }
    if (report.error().code != core::ErrorCode::kNotFound) return std::unexpected(report.error());
    // Not stored: ask the registry, but a failed lookup reports the local miss (--remote shows
    // the registry's error).
    std::ostringstream out;
    if (!InspectRemote(g, a.name, platform, out)) return std::unexpected(report.error());
    std::cout << out.str();
    return {};
  }
  return InspectRemote(g, a.name, platform, std::cout);
}

void AddInspectCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("inspect", "Show an image's manifest, config and layers");
  auto a = std::make_shared<InspectArgs>();
  cmd->add_option("NAME", a->name,
                  "Image in the local store, else a reference looked up in its registry")
      ->required();
  cmd->add_flag("--json", a->json, "One JSON document instead of text (local images)");
  cmd->add_flag("--remote", a->remote, "Skip the local store; ask the registry");
  cmd->add_option("--platform", a->platform, "Remote indexes: the entry for this platform");
  cmd->callback([a, &g] { g.status = RunInspect(g, *a); });
}

const CommandRegistrar kReg(51, &AddInspectCommand);

}  // namespace
}  // namespace kiln::cli
