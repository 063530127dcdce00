// `kiln copy [--platform P] SRC DST`: registry to registry, streamed (no disk), manifests byte
// for byte, blobs mounted when both repositories share a registry.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/progress_renderer.h"
#include "cli/registry_flags.h"
#include "core/platform.h"
#include "core/reference.h"
#include "registry/image_copy.h"

namespace kiln::cli {
namespace {

struct CopyArgs {
  std::string src, dst, platform;
};

core::Status RunCopy(Globals& g, const CopyArgs& a) {
  KILN_ASSIGN(auto src, core::Reference::Parse(a.src));
  KILN_ASSIGN(auto dst, core::Reference::Parse(a.dst));
  registry::CopyOptions options;
  if (!a.platform.empty()) {
    KILN_ASSIGN(options.platform, core::Platform::Parse(a.platform));
  }
  registry::Client client(ClientOptionsFor(g));
  auto progress = ProgressRenderer::Make(g.progress);
  KILN_ASSIGN(auto result, registry::CopyImage(client, src, dst, options, progress.get()));
  progress->Finish();
  std::fprintf(stderr, "copied %s to %s: %d blobs uploaded, %d mounted, %d already there\n",
               src.Familiar().c_str(), dst.Familiar().c_str(), result.blobs_uploaded,
               result.blobs_mounted, result.blobs_present);
  std::printf("%s@%s\n", dst.WithoutDigest().WithTag("").ToString().c_str(),
              result.digest.ToString().c_str());
  return {};
}

void AddCopyCommand(CLI::App& app, Globals& g) {
  auto a = std::make_shared<CopyArgs>();
  auto* cmd = app.add_subcommand("copy", "Copy an image or index from one registry reference to another");
  cmd->add_option("--platform", a->platform, "Copy only this platform's image out of an index");
  cmd->add_option("src", a->src, "Source reference")->required();
  cmd->add_option("dst", a->dst, "Destination reference")->required();
  cmd->callback([&g, a] { g.status = RunCopy(g, *a); });
}

const CommandRegistrar kReg(62, &AddCopyCommand);

}  // namespace
}  // namespace kiln::cli
