// `kiln pull [--platform P] REF`: an image from a registry into the local store.
#include <cstdio>
#include <memory>

#include "builder/store_open.h"
#include "builder/image_transfer.h"
#include "cli/command.h"
#include "cli/progress_renderer.h"
#include "cli/registry_flags.h"

namespace kiln::cli {
namespace {

struct PullArgs {
  std::string ref, platform;
};

core::Status RunPull(Globals& g, const PullArgs& a) {
  KILN_ASSIGN(auto ref, core::Reference::Parse(a.ref));
  std::optional<core::Platform> platform;
  if (!a.platform.empty()) {
    KILN_ASSIGN(platform, core::Platform::Parse(a.platform));
  }
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  registry::Client client(ClientOptionsFor(g));
  auto progress = ProgressRenderer::Make(g.progress);
  KILN_ASSIGN(auto r, builder::PullImage(client, *store, ref, platform, progress.get()));
  progress->Finish();
  std::fprintf(stderr, "pulled %s (%s): %d blobs fetched, %d already local\n",
               ref.Familiar().c_str(), r.platform.ToString().c_str(), r.blobs_fetched,
               r.blobs_present);
  std::printf("%s\n", r.manifest.digest.ToString().c_str());
  return {};
}

void AddPullCommand(CLI::App& app, Globals& g) {
  auto a = std::make_shared<PullArgs>();
  auto* cmd = app.add_subcommand("pull", "Pull an image from a registry into the local store");
  cmd->add_option("--platform", a->platform,
                  "os/arch[/variant][:os.version] to pick from an index (default: this host, or "
                  "the index's only image)");
  cmd->add_option("ref", a->ref, "Image reference")->required();
  cmd->callback([&g, a] { g.status = RunPull(g, *a); });
}

const CommandRegistrar kReg(60, &AddPullCommand);

}  // namespace
}  // namespace kiln::cli
