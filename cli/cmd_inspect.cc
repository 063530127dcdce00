// kiln inspect NAME: manifest, config and layer table of a local image.
#include <iostream>

#include "cli/command.h"
#include "layers/image_inspect.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct InspectArgs {
  std::string name;
  bool json = false;
};

core::Status RunInspect(Globals& g, const InspectArgs& a) {
  KILN_ASSIGN(auto store, layers::Store::Open(StoreRoot(g)));
  KILN_ASSIGN(auto report, layers::InspectLocal(*store, a.name));
  std::cout << layers::RenderInspection(report, a.json);
  return {};
}

void AddInspectCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("inspect", "Show an image's manifest, config and layers");
  auto a = std::make_shared<InspectArgs>();
  cmd->add_option("NAME", a->name, "Image name or name@digest in the local store")->required();
  cmd->add_flag("--json", a->json, "One JSON document instead of text");
  cmd->callback([a, &g] { g.status = RunInspect(g, *a); });
}

const CommandRegistrar kReg(51, &AddInspectCommand);

}  // namespace
}  // namespace kiln::cli
