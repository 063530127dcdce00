// kiln images: the named images of the local store.
#include <iostream>

#include "builder/store_open.h"
#include "cli/command.h"
#include "core/media_types.h"
#include "core/reference.h"
#include "layers/image_inspect.h"
#include "layers/local_image.h"
#include "layers/store.h"

namespace kiln::cli {
namespace {

struct Row {
  std::string repository, tag, digest, platform, created;
  int64_t size = 0;
};

core::Result<Row> Describe(layers::Store& store, const layers::StoreImage& img) {
  Row r;
  auto ref = core::Reference::Parse(img.name);
  r.repository = ref ? ref->WithTag("").Familiar() : img.name;
  if (!r.repository.empty() && r.repository.back() == ':') r.repository.pop_back();
  r.tag = ref ? ref->tag() : "";
  r.digest = img.target.digest.ToString();
  KILN_ASSIGN(auto manifests, layers::ManifestsOf(store, img.target));
  for (const auto& d : manifests) {
    auto local = layers::LoadImage(store, d);
    if (!local) continue;  // a platform whose manifest was never pulled
    r.size += local->manifest.config.size;
    for (const auto& l : local->manifest.layers) r.size += l.size;
    if (r.created.empty()) r.created = local->config.created;
    if (manifests.size() == 1) r.platform = local->config.platform().ToString();
  }
  if (manifests.size() > 1) r.platform = std::to_string(manifests.size()) + " platforms";
  return r;
}

core::Status RunImages(Globals& g, bool json) {
  KILN_ASSIGN(auto store, builder::OpenStore(StoreRoot(g)));
  KILN_ASSIGN(auto images, store->List());
  core::Json arr = core::Json::array();
  if (!json)
    std::printf("%-40s %-16s %-19s %-32s %-20s %s\n", "REPOSITORY", "TAG", "DIGEST", "PLATFORM",
                "CREATED", "SIZE");
  for (const auto& img : images) {
    KILN_ASSIGN(Row r, Describe(*store, img));
    if (json) {
      arr.push_back({{"name", img.name}, {"repository", r.repository}, {"tag", r.tag},
                     {"digest", r.digest}, {"mediaType", img.target.media_type},
                     {"platform", r.platform}, {"created", r.created}, {"size", r.size}});
    } else {
      std::printf("%-40s %-16s %-19s %-32s %-20s %s\n", r.repository.c_str(), r.tag.c_str(),
                  r.digest.substr(0, 19).c_str(), r.platform.c_str(), r.created.c_str(),
                  layers::HumanSize(r.size).c_str());
    }
  }
  if (json) std::cout << arr.dump(2) << "\n";
  return {};
}

void AddImagesCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("images", "List the images in the local store");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([json, &g] { g.status = RunImages(g, *json); });
}

const CommandRegistrar kReg(50, &AddImagesCommand);

}  // namespace
}  // namespace kiln::cli
