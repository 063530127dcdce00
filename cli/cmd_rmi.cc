// kiln rmi NAME... and kiln prune: removing names and the blobs nothing needs any more.
#include <iostream>

#include "builder/store_open.h"
#include "cli/command.h"
#include "layers/image_inspect.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct RmiArgs {
  std::vector<std::string> names;
  bool no_prune = false;
};

void PrintPrune(const layers::PruneReport& r) {
  std::cout << "Deleted " << r.blobs_removed << " blobs (" << layers::HumanSize(r.bytes_freed)
            << "), " << r.temp_files_removed << " temporary files, " << r.remote_records_removed
            << " remote records, " << r.unpacked_layers_removed << " unpacked layers\n";
}

core::Status RunRmi(Globals& g, const RmiArgs& a) {
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  for (const auto& name : a.names) {
    KILN_TRY(store->Untag(name));
    KILN_ASSIGN(std::string full, layers::Store::NormalizeName(name));
    std::cout << "Untagged: " << full << "\n";
  }
  if (a.no_prune) return {};
  auto pruned = store->Prune();
  if (!pruned && pruned.error().code == core::ErrorCode::kConflict) {
    std::cout << "Blobs kept: " << pruned.error().message << "\n";
    return {};
  }
  if (!pruned) return std::unexpected(pruned.error());
  PrintPrune(*pruned);
  return {};
}

core::Status RunPrune(Globals& g) {
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  KILN_ASSIGN(auto report, store->Prune());
  PrintPrune(report);
  return {};
}

void AddRmiCommand(CLI::App& app, Globals& g) {
  auto* rmi = app.add_subcommand("rmi", "Remove image names; then delete blobs nothing uses");
  auto a = std::make_shared<RmiArgs>();
  rmi->add_option("NAME", a->names, "Image names")->required();
  rmi->add_flag("--no-prune", a->no_prune, "Only remove the names, keep every blob");
  rmi->callback([a, &g] { g.status = RunRmi(g, *a); });
  auto* prune = app.add_subcommand(
      "prune", "Delete blobs no image or build-cache entry uses, and leftovers of interrupted writes");
  prune->callback([&g] { g.status = RunPrune(g); });
}

const CommandRegistrar kReg(52, &AddRmiCommand);

}  // namespace
}  // namespace kiln::cli
