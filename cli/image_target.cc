#include "cli/image_target.h"

#include "builder/image_transfer.h"
#include "builder/store_open.h"
#include "cli/registry_flags.h"
#include "core/media_types.h"
#include "core/reference.h"
#include "layers/local_image.h"

namespace kiln::cli {

core::Result<ImageTarget> OpenImageTarget(Globals& g, const std::string& name, bool remote,
                                          const std::optional<core::Platform>& platform) {
  ImageTarget t;
  KILN_ASSIGN(t.store, builder::OpenStore(StoreRoot(g)));
  t.client = std::make_unique<registry::Client>(ClientOptionsFor(g));
  layers::Store* store = t.store.get();
  registry::Client* client = t.client.get();
  t.ensure = [store, client](const core::Descriptor& layer) {
    return builder::EnsureLocalBlob(*client, *store, layer);
  };
  if (!remote) {
    auto local = t.store->Resolve(name);
    if (local) {
      t.top = *local;
      t.source = "local store";
      return t;
    }
    if (local.error().code != core::ErrorCode::kNotFound) return std::unexpected(local.error());
  }
  KILN_ASSIGN(auto ref, core::Reference::Parse(name));
  KILN_ASSIGN(auto resolved, builder::ResolveBaseImage(*t.client, *t.store, ref, platform));
  t.top.media_type = resolved.manifest.media_type;
  t.top.digest = resolved.manifest.digest;
  t.top.size = static_cast<int64_t>(resolved.manifest.bytes.size());
  t.source = "registry " + ref.ToString();
  return t;
}

core::Result<core::Descriptor> PickManifest(layers::Store& store, const core::Descriptor& top,
                                            const std::optional<core::Platform>& platform) {
  if (!core::media::IsIndex(top.media_type)) return top;
  KILN_ASSIGN(auto manifests, layers::ManifestsOf(store, top));
  std::vector<core::Platform> platforms;
  for (const auto& m : manifests) platforms.push_back(m.platform.value_or(core::Platform{}));
  if (platform) {
    if (auto i = core::SelectPlatform(*platform, platforms)) return manifests[*i];
  } else if (manifests.size() == 1) {
    return manifests[0];
  }
  std::string list;
  for (const auto& p : platforms) list += (list.empty() ? "" : ", ") + p.ToString();
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "the image is an index; pick one of its images with --platform (" + list + ")");
}

core::Result<layers::ShrinkOptions> MakeShrinkOptions(const JunkFlags& flags) {
  layers::ShrinkOptions o;
  o.junk = !flags.no_junk;
  o.default_junk = !flags.no_default_junk;
  for (const auto& f : flags.rule_files) KILN_TRY(o.rules.Load(f));
  return o;
}

core::Result<std::optional<core::Platform>> JunkFlags::Platform() const {
  if (platform.empty()) return std::nullopt;
  KILN_ASSIGN(core::Platform p, core::Platform::Parse(platform));
  return p;
}

std::optional<size_t> JunkFlags::BaseLayers() const {
  if (base_layers < 0) return std::nullopt;
  return static_cast<size_t>(base_layers);
}

void AddJunkFlags(CLI::App* cmd, JunkFlags& flags) {
  cmd->add_flag("--remote", flags.remote, "Skip the local store; resolve the image in its registry");
  cmd->add_option("--platform", flags.platform, "Indexes: the image for this platform");
  cmd->add_option("--base-layers", flags.base_layers,
                  "Layers that belong to the base image (default: Windows detects them, Linux 1)");
  cmd->add_flag("--no-junk", flags.no_junk, "Keep junk files (no junk rules at all)");
  cmd->add_flag("--no-default-junk", flags.no_default_junk,
                "Only the rules of --junk-rules files, not kiln's default list");
  cmd->add_option("--junk-rules", flags.rule_files,
                  "File of extra junk globs, one per line ('!glob' = never junk); repeatable");
}

}  // namespace kiln::cli
