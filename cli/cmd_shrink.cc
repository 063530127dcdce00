// kiln shrink SRC -t DST: squash the layers above the base, drop metadata-only layers, junk
// and useless whiteouts, recompress, optionally dedupe; each pass says what it saved.
#include <iostream>

#include "cli/image_target.h"
#include "cli/progress_renderer.h"
#include "layers/compression.h"

namespace kiln::cli {
namespace {

struct ShrinkArgs {
  std::string source, tag, compression;
  bool no_squash = false, keep_whiteouts = false, dedupe = false;
  int level = -1;
  JunkFlags junk;
};

core::Status RunShrink(Globals& g, const ShrinkArgs& a) {
  KILN_ASSIGN(auto platform, a.junk.Platform());
  KILN_ASSIGN(std::string dest, layers::Store::NormalizeName(a.tag));
  KILN_ASSIGN(ImageTarget t, OpenImageTarget(g, a.source, a.junk.remote, platform));
  builder::ShrinkRequest request;
  KILN_ASSIGN(request.options, MakeShrinkOptions(a.junk));
  request.options.squash = !a.no_squash;
  request.options.drop_useless_whiteouts = !a.keep_whiteouts;
  request.options.dedupe = a.dedupe;
  request.base_layers = a.junk.BaseLayers();
  if (!a.compression.empty() || a.level >= 0) {
    layers::CompressionOptions c;
    if (!a.compression.empty()) {
      KILN_ASSIGN(c.kind, layers::ParseCompression(a.compression));
    }
    c.level = a.level;
    request.compression = c;
  }
  auto progress = ProgressRenderer::Make(g.progress);
  request.progress = progress.get();
  auto shrunk = builder::ShrinkImage(*t.store, t.top, request, t.ensure);
  progress->Finish();
  KILN_ASSIGN(auto result, std::move(shrunk));
  KILN_TRY(t.store->Tag(dest, result.first));
  for (const auto& r : result.second) std::cout << builder::RenderShrinkReport(r);
  if (request.compression && request.compression->kind == layers::Compression::kZstd)
    std::cout << "  note: zstd layers need Docker 23+ or containerd to pull\n";
  std::cout << dest << " " << result.first.digest.ToString() << "\n";
  return {};
}

void AddShrinkCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("shrink", "Make an image smaller without touching its base layers");
  auto a = std::make_shared<ShrinkArgs>();
  cmd->add_option("SRC", a->source, "Image in the local store, else a registry reference")->required();
  cmd->add_option("-t,--tag", a->tag, "Name of the shrunk image in the local store")->required();
  cmd->add_flag("--no-squash", a->no_squash, "Keep every added layer (other passes still run)");
  cmd->add_flag("--keep-whiteouts", a->keep_whiteouts, "Keep whiteouts that delete nothing");
  cmd->add_flag("--dedupe", a->dedupe, "Identical files in a written layer become hard links");
  cmd->add_option("--compression", a->compression,
                  "gzip (default) | zstd (Docker 23+ / containerd) | none; rewrites every added layer");
  cmd->add_option("--level", a->level, "Compression level (gzip 0-9, zstd 1-22)");
  AddJunkFlags(cmd, a->junk);
  cmd->callback([a, &g] { g.status = RunShrink(g, *a); });
}

const CommandRegistrar kReg(57, &AddShrinkCommand);

}  // namespace
}  // namespace kiln::cli
