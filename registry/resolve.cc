#include "registry/resolve.h"

#include "core/media_types.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

bool IsAttestation(const core::Descriptor& d) {
  auto it = d.annotations.find("vnd.docker.reference.type");
  if (it != d.annotations.end() && it->second == "attestation-manifest") return true;
  return d.platform && d.platform->os == "unknown";
}

// Platform of an index entry without a "platform" field: read its config.
core::Result<core::Platform> PlatformThroughConfig(Client& client, const core::Reference& repo,
                                                   const core::Descriptor& entry) {
  if (!core::media::IsManifest(entry.media_type)) return core::Platform{};
  KILN_ASSIGN(auto m, client.GetManifest(repo.WithoutDigest().WithDigest(entry.digest)));
  KILN_ASSIGN(auto parsed, core::Manifest::Parse(m.bytes, m.media_type));
  KILN_ASSIGN(auto bytes, client.FetchSmallBlob(repo, parsed.config));
  KILN_ASSIGN(auto config, core::ImageConfig::Parse(bytes));
  return config.platform();
}

std::string ListPlatforms(const std::vector<core::Platform>& ps) {
  std::string out;
  for (const auto& p : ps) {
    if (p.os.empty()) continue;
    out += (out.empty() ? "" : ", ") + p.ToString();
  }
  return out.empty() ? "none" : out;
}

}  // namespace

core::Result<std::vector<core::Platform>> IndexPlatforms(Client& client,
                                                         const core::Reference& repo,
                                                         const core::Index& index) {
  std::vector<core::Platform> out;
  for (const auto& d : index.manifests) {
    if (IsAttestation(d)) {
      out.push_back(core::Platform{});
    } else if (d.platform) {
      out.push_back(*d.platform);
    } else {
      KILN_ASSIGN(auto p, PlatformThroughConfig(client, repo, d));
      out.push_back(p);
    }
  }
  return out;
}

core::Result<core::Descriptor> SelectFromIndex(Client& client, const core::Reference& repo,
                                               const core::Index& index,
                                               const std::optional<core::Platform>& want) {
  KILN_ASSIGN(auto platforms, IndexPlatforms(client, repo, index));
  std::vector<size_t> usable;
  for (size_t i = 0; i < platforms.size(); ++i)
    if (!platforms[i].os.empty()) usable.push_back(i);
  core::Platform target = want.value_or(core::Platform::HostLinux());
  // Empty-os placeholders never match, so SelectPlatform can see the whole list.
  std::optional<size_t> pick = core::SelectPlatform(target, platforms);
  if (!pick && !want) {
    // No --platform and nothing for this host: an index holding a single image (a Windows base
    // image list with one build, say) is unambiguous.
    if (usable.size() == 1) pick = usable[0];
  }
  if (!pick)
    return Fail(ErrorCode::kNotFound,
                repo.ToString() + " has no image for platform " + target.ToString() +
                    " (it offers: " + ListPlatforms(platforms) + "); pick one with --platform");
  core::Descriptor d = index.manifests[*pick];
  d.platform = platforms[*pick];
  return d;
}

core::Result<ResolvedImage> ResolveImage(Client& client, const core::Reference& ref,
                                         const std::optional<core::Platform>& want) {
  ResolvedImage out;
  out.reference = ref;
  KILN_ASSIGN(FetchedManifest top, client.GetManifest(ref));
  // Nested indexes are legal: follow them down to an image manifest.
  for (int depth = 0; core::media::IsIndex(top.media_type); ++depth) {
    if (depth >= 4)
      return Fail(ErrorCode::kInvalidInput, ref.ToString() + ": indexes nested too deeply");
    KILN_ASSIGN(auto index, core::Index::Parse(top.bytes, top.media_type));
    KILN_ASSIGN(auto entry, SelectFromIndex(client, ref, index, want));
    if (!out.index) out.index = top;
    KILN_ASSIGN(top, client.GetManifest(ref.WithoutDigest().WithDigest(entry.digest)));
  }
  if (!core::media::IsManifest(top.media_type))
    return Fail(ErrorCode::kUnsupported,
                ref.ToString() + " is a " + top.media_type + ", not an image manifest or index");
  out.manifest = top;
  KILN_ASSIGN(out.parsed, core::Manifest::Parse(top.bytes, top.media_type));
  KILN_ASSIGN(out.config_bytes, client.FetchSmallBlob(ref, out.parsed.config));
  KILN_ASSIGN(out.config, core::ImageConfig::Parse(out.config_bytes));
  out.platform = out.config.platform();
  if (want && !core::PlatformMatches(*want, out.platform) && !out.index) {
    std::string have = out.platform.ToString(), asked = want->ToString();
    if (have == asked)  // same text, yet no match: a version that cannot be compared
      return Fail(ErrorCode::kInvalidInput,
                  ref.ToString() + " is an image for " + have +
                      ", whose os.version kiln cannot compare (expected 10.0.BUILD[.REV])");
    return Fail(ErrorCode::kNotFound,
                ref.ToString() + " is an image for " + have + ", not " + asked);
  }
  return out;
}

}  // namespace kiln::registry
