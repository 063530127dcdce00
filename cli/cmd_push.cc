// `kiln push NAME [DEST]`: an image of the local store to a registry (DEST defaults to NAME).
#include <cstdio>
#include <memory>

#include "builder/store_open.h"
#include "builder/image_transfer.h"
#include "cli/command.h"
#include "cli/progress_renderer.h"
#include "cli/registry_flags.h"

namespace kiln::cli {
namespace {

struct PushArgs {
  std::string name, dest;
};

core::Status RunPush(Globals& g, const PushArgs& a) {
  KILN_ASSIGN(auto dest, core::Reference::Parse(a.dest.empty() ? a.name : a.dest));
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  registry::Client client(ClientOptionsFor(g));
  auto progress = ProgressRenderer::Make(g.progress);
  KILN_ASSIGN(auto r, builder::PushImage(client, *store, a.name, dest, progress.get()));
  progress->Finish();
  std::fprintf(stderr, "pushed %s: %d blobs uploaded, %d mounted, %d already there\n",
               dest.Familiar().c_str(), r.blobs_uploaded, r.blobs_mounted, r.blobs_present);
  std::printf("%s@%s\n", dest.WithoutDigest().WithTag("").ToString().c_str(),
              r.digest.ToString().c_str());
  return {};
}

void AddPushCommand(CLI::App& app, Globals& g) {
  auto a = std::make_shared<PushArgs>();
  auto* cmd = app.add_subcommand("push", "Push an image of the local store to a registry");
  cmd->add_option("name", a->name, "Local image name")->required();
  cmd->add_option("dest", a->dest, "Destination reference (default: NAME)");
  cmd->callback([&g, a] { g.status = RunPush(g, *a); });
}

const CommandRegistrar kReg(61, &AddPushCommand);

}  // namespace
}  // namespace kiln::cli
