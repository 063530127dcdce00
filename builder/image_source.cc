#include "builder/image_source.h"

#include <algorithm>
#include <cstdio>

#include "builder/layout_reader.h"
#include "core/media_types.h"
#include "core/reference.h"
#include "builder/image_transfer.h"
#include "registry/resolve.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

std::string PlatformKey(const std::optional<core::Platform>& p) {
  return p ? p->ToString() : std::string("(default)");
}

std::string ListPlatforms(const std::vector<core::Platform>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.os.empty()) continue;
    out += (out.empty() ? "" : ", ") + e.ToString();
  }
  return out.empty() ? "none" : out;
}

// Reads a manifest-or-index blob and, for an index, picks the entry for `platform`; returns the
// chosen manifest's descriptor and bytes. `read` fetches a blob by digest.
template <typename ReadFn>
core::Result<std::pair<core::Descriptor, std::string>> ChooseManifest(
    std::string_view name, const core::Descriptor& target, const std::optional<core::Platform>& platform,
    ReadFn read, std::vector<core::Platform>* candidates) {
  KILN_ASSIGN(std::string bytes, read(target.digest));
  KILN_ASSIGN(std::string type, core::DetectMediaType(bytes, target.media_type));
  if (!core::media::IsIndex(type)) return std::pair{target, bytes};
  KILN_ASSIGN(core::Index index, core::Index::Parse(bytes, type));
  std::vector<core::Platform> entries;
  for (const auto& m : index.manifests) entries.push_back(m.platform.value_or(core::Platform{}));
  if (candidates) *candidates = entries;
  KILN_ASSIGN(size_t pick, PickPlatform(name, entries, platform));
  const core::Descriptor& chosen = index.manifests[pick];
  KILN_ASSIGN(std::string manifest, read(chosen.digest));
  return std::pair{chosen, manifest};
}

}  // namespace

core::Result<size_t> PickPlatform(std::string_view name, const std::vector<core::Platform>& entries,
                                  const std::optional<core::Platform>& platform) {
  if (platform) {
    if (auto i = core::SelectPlatform(*platform, entries)) return *i;
    return core::Fail(ErrorCode::kNotFound, "image \"" + std::string(name) + "\" has no entry for " +
                                                platform->ToString() + " (it has: " +
                                                ListPlatforms(entries) + ")");
  }
  if (auto i = core::SelectPlatform(core::Platform::HostLinux(), entries)) return *i;
  std::optional<size_t> best;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].os != "windows") continue;
    auto v = core::WindowsVersion::Parse(entries[i].os_version).value_or(core::WindowsVersion{});
    auto bv = best ? core::WindowsVersion::Parse(entries[*best].os_version).value_or(core::WindowsVersion{})
                   : core::WindowsVersion{};
    if (!best || v > bv) best = i;
  }
  if (best) return *best;
  if (entries.size() == 1) return size_t{0};
  return core::Fail(ErrorCode::kNotFound, "image \"" + std::string(name) + "\" has no entry for " +
                                              core::Platform::HostLinux().ToString() +
                                              " (it has: " + ListPlatforms(entries) +
                                              "); choose one with --platform");
}

ImageSource::ImageSource(layers::Store& store, const BuildOptions& options)
    : store_(store), options_(options) {}
ImageSource::~ImageSource() = default;

registry::Client& ImageSource::client() {
  std::lock_guard lock(mu_);
  if (!client_) {
    registry::ClientOptions o = options_.registry;
    client_ = std::make_unique<registry::Client>(std::move(o));
  }
  return *client_;
}

const ContextOverride* ImageSource::FindOverride(std::string_view name) const {
  auto normalized = core::Reference::Parse(name);
  for (const auto& c : options_.contexts) {
    if (c.name == name) return &c;
    if (!normalized) continue;
    auto other = core::Reference::Parse(c.name);
    if (other && other->ToString() == normalized->ToString()) return &c;
  }
  return nullptr;
}

core::Result<ResolvedBase> ImageSource::Resolve(std::string_view name,
                                                const std::optional<core::Platform>& platform) {
  std::string key = std::string(name) + "|" + PlatformKey(platform);
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : memo_)
      if (k == key) return v;
  }
  KILN_ASSIGN(ResolvedBase base, ResolveUncached(name, platform));
  std::lock_guard lock(mu_);
  memo_.emplace_back(key, base);
  return base;
}

std::vector<ResolvedBase> ImageSource::Resolved() {
  std::lock_guard lock(mu_);
  std::vector<ResolvedBase> out;
  for (const auto& [k, v] : memo_) out.push_back(v);
  return out;
}

core::Result<ResolvedBase> ImageSource::ResolveUncached(std::string_view name,
                                                        const std::optional<core::Platform>& platform) {
  if (const ContextOverride* o = FindOverride(name)) {
    switch (o->kind) {
      case ContextOverride::Kind::kOciLayout: return FromLayout(name, o->value, platform);
      case ContextOverride::Kind::kDockerImage: return FromRegistry(name, o->value, platform);
      case ContextOverride::Kind::kLocalDir:
        return core::Fail(ErrorCode::kInvalidInput, "build context \"" + o->name +
                                                        "\" is a directory and cannot be a base image");
    }
  }
  if (!options_.pull) {
    if (auto target = store_.Resolve(name)) return FromStore(name, *target, platform);
  }
  return FromRegistry(name, name, platform);
}

core::Result<ResolvedBase> ImageSource::FromLayout(std::string_view name, const std::string& spec,
                                                   const std::optional<core::Platform>& platform) {
  KILN_ASSIGN(LayoutReader layout, LayoutReader::Open(spec));
  KILN_ASSIGN(core::Descriptor target, layout.Target());
  ResolvedBase out;
  auto read = [&](const core::Digest& d) { return layout.ReadBlob(d); };
  KILN_ASSIGN(auto chosen, ChooseManifest(name, target, platform, read, &out.candidates));
  KILN_ASSIGN(core::Manifest manifest, core::Manifest::Parse(chosen.second, chosen.first.media_type));
  KILN_ASSIGN(std::string config, layout.ReadBlob(manifest.config.digest));
  KILN_ASSIGN(out.config, core::ImageConfig::Parse(config));
  out.name = std::string(name);
  out.source = "oci-layout " + spec;
  out.manifest_desc = chosen.first;
  out.layers = manifest.layers;
  out.origin.layout_dir = layout.dir();
  return out;
}

core::Result<ResolvedBase> ImageSource::FromStore(std::string_view name, const core::Descriptor& target,
                                                  const std::optional<core::Platform>& platform) {
  ResolvedBase out;
  auto read = [&](const core::Digest& d) { return layers::ReadBlob(store_, d); };
  KILN_ASSIGN(auto chosen, ChooseManifest(name, target, platform, read, &out.candidates));
  KILN_ASSIGN(core::Manifest manifest, core::Manifest::Parse(chosen.second, chosen.first.media_type));
  KILN_ASSIGN(std::string config, layers::ReadBlob(store_, manifest.config.digest));
  KILN_ASSIGN(out.config, core::ImageConfig::Parse(config));
  out.name = std::string(name);
  out.source = "local store";
  out.manifest_desc = chosen.first;
  out.layers = manifest.layers;
  return out;
}

core::Result<ResolvedBase> ImageSource::FromRegistry(std::string_view name, std::string_view ref_text,
                                                     const std::optional<core::Platform>& platform) {
  auto ref = core::Reference::Parse(ref_text);
  if (!ref) return core::Fail(ref.error().Wrap("base image \"" + std::string(name) + "\""));
  registry::Client& c = client();
  std::optional<core::Platform> want = platform;
  ResolvedBase out;
  if (!want) {
    // Decide the default platform from the index ourselves (Windows-only indexes included).
    KILN_ASSIGN(registry::FetchedManifest top, c.GetManifest(*ref));
    if (core::media::IsIndex(top.media_type)) {
      KILN_ASSIGN(core::Index index, core::Index::Parse(top.bytes, top.media_type));
      KILN_ASSIGN(out.candidates, registry::IndexPlatforms(c, *ref, index));
      KILN_ASSIGN(size_t pick, PickPlatform(name, out.candidates, std::nullopt));
      want = out.candidates[pick];
    }
  }
  auto resolved = ResolveBaseImage(c, store_, *ref, want);
  if (!resolved) return core::Fail(resolved.error().Wrap("resolving base image \"" + std::string(name) + "\""));
  if (resolved->index && out.candidates.empty()) {
    if (auto index = core::Index::Parse(resolved->index->bytes, resolved->index->media_type))
      for (const auto& m : index->manifests) out.candidates.push_back(m.platform.value_or(core::Platform{}));
  }
  out.name = std::string(name);
  out.source = "registry " + ref->ToString();
  out.manifest_desc = resolved->manifest.descriptor();
  out.config = std::move(resolved->config);
  out.layers = resolved->parsed.layers;
  return out;
}

core::Status ImageSource::EnsureLocal(const core::Descriptor& layer, const LayerOrigin& origin) {
  if (store_.Has(layer.digest)) return {};
  if (!origin.layout_dir.empty()) {
    KILN_ASSIGN(LayoutReader layout, LayoutReader::Open(origin.layout_dir));
    KILN_ASSIGN(auto reader, layout.OpenBlob(layer.digest));
    auto put = store_.Put(*reader, layer.media_type, &layer.digest);
    if (!put) return core::Fail(put.error().Wrap("copying layer " + layer.digest.ToString() + " from " + origin.layout_dir));
    return {};
  }
  return EnsureLocalBlob(client(), store_, layer, options_.progress);
}

}  // namespace kiln::builder
