// kiln inspect NAME|REF: manifest, config and layer table of a local image; a reference that is
// not in the local store is looked up in its registry (JSON with manifest and config).
#include <iostream>
#include <sstream>

#include "builder/attestation.h"
#include "builder/store_open.h"
#include "cli/command.h"
#include "cli/inspect_remote.h"
#include "core/media_types.h"
#include "layers/image_inspect.h"
#include "layers/local_image.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct InspectArgs {
  std::string name;
  bool json = false;
  bool remote = false;
  bool attestations = false;
  std::string platform;
};

// --attestations: the in-toto statements attached to a local image, as one JSON array of
// {"manifest", "subject", "predicateType", "statement"} (empty when it has none).
core::Status PrintAttestations(Globals& g, const InspectArgs& a) {
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  KILN_ASSIGN(core::Descriptor top, store->Resolve(a.name));
  core::Json out = core::Json::array();
  if (core::media::IsIndex(top.media_type)) {
    KILN_ASSIGN(core::Index index, layers::LoadIndex(*store, top));
    for (const auto& m : index.manifests) {
      if (!builder::IsAttestationManifest(m)) continue;
      KILN_ASSIGN(auto statements, builder::ReadStatements(*store, m));
      for (const auto& s : statements) {
        core::Json st = core::Json::parse(s, nullptr, false);
        if (st.is_discarded())
          return core::Fail(core::ErrorCode::kInvalidInput, "attestation " + m.digest.ToString() + " is not JSON");
        core::Json e = core::Json::object();
        e["manifest"] = m.digest.ToString();
        auto subject = m.annotations.find(std::string(builder::kReferenceDigestAnnotation));
        e["subject"] = subject == m.annotations.end() ? "" : subject->second;
        e["predicateType"] = st.value("predicateType", "");
        e["statement"] = std::move(st);
        out.push_back(std::move(e));
      }
    }
  }
  std::cout << out.dump(2) << "\n";
  return {};
}

core::Status RunInspect(Globals& g, const InspectArgs& a) {
  if (a.attestations) return PrintAttestations(g, a);
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
  cmd->add_flag("--attestations", a->attestations,
                "Print the provenance and SBOM statements attached to a local image (JSON)");
  cmd->add_flag("--remote", a->remote, "Skip the local store; ask the registry");
  cmd->add_option("--platform", a->platform, "Remote indexes: the entry for this platform");
  cmd->callback([a, &g] { g.status = RunInspect(g, *a); });
}

const CommandRegistrar kReg(51, &AddInspectCommand);

}  // namespace
}  // namespace kiln::cli
