// kiln save NAME... -o DIR|FILE.tar --format oci|docker
#include <cstdlib>
#include <iostream>

#include "builder/store_open.h"
#include "cli/command.h"
#include "layers/image_export.h"
#include "layers/image_inspect.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct SaveArgs {
  std::vector<std::string> names;
  std::string output;
  std::string format = "oci";
};

core::Status RunSave(Globals& g, const SaveArgs& a) {
  layers::SaveOptions o;
  KILN_ASSIGN(o.format, layers::ParseExportFormat(a.format));
  o.output = a.output;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde)
    o.source_date_epoch = std::strtoll(sde, nullptr, 10);
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  KILN_ASSIGN(auto report, layers::SaveImages(*store, a.names, o));
  std::cerr << "Saved " << a.names.size() << " image(s), " << report.blobs << " blobs ("
            << layers::HumanSize(static_cast<int64_t>(report.bytes)) << ") to " << a.output << "\n";
  return {};
}

void AddSaveCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "save", "Export images as an OCI layout or a docker-archive (`docker load`), dir or .tar");
  auto a = std::make_shared<SaveArgs>();
  cmd->add_option("NAME", a->names, "Images to export")->required();
  cmd->add_option("-o,--output", a->output, "Directory, or FILE.tar")->required();
  cmd->add_option("--format", a->format, "oci (default) or docker")
      ->check(CLI::IsMember({"oci", "docker"}));
  cmd->callback([a, &g] { g.status = RunSave(g, *a); });
}

const CommandRegistrar kReg(53, &AddSaveCommand);

}  // namespace
}  // namespace kiln::cli
