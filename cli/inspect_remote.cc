#include "cli/inspect_remote.h"

#include <nlohmann/json.hpp>

#include "cli/registry_flags.h"
#include "core/media_types.h"
#include "core/reference.h"
#include "registry/resolve.h"

namespace kiln::cli {
namespace {

using Json = nlohmann::ordered_json;

// nlohmann throws on malformed JSON; the registry's bytes were parsed by core already, so a
// failure here only means "show it as a string".
Json ParseOrString(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? Json(text) : j;
}

}  // namespace

core::Status InspectRemote(const Globals& g, const std::string& ref_text,
                           const std::optional<core::Platform>& platform, std::ostream& out) {
  KILN_ASSIGN(auto ref, core::Reference::Parse(ref_text));
  registry::Client client(ClientOptionsFor(g));
  Json doc;
  doc["reference"] = ref.ToString();
  auto resolved = registry::ResolveImage(client, ref, platform);
  if (!resolved) {
    // An index without a clear choice: show the index and what it offers.
    KILN_ASSIGN(auto top, client.GetManifest(ref));
    if (!core::media::IsIndex(top.media_type) || platform) return std::unexpected(resolved.error());
    KILN_ASSIGN(auto index, core::Index::Parse(top.bytes, top.media_type));
    KILN_ASSIGN(auto platforms, registry::IndexPlatforms(client, ref, index));
    doc["digest"] = top.digest.ToString();
    doc["mediaType"] = top.media_type;
    doc["index"] = ParseOrString(top.bytes);
    Json list = Json::array();
    for (const auto& p : platforms)
      if (!p.os.empty()) list.push_back(p.ToString());
    doc["platforms"] = list;
    doc["note"] = "pick an image with --platform";
    out << doc.dump(2) << "\n";
    return {};
  }
  const auto& r = *resolved;
  if (r.index) {
    doc["index"] = {{"digest", r.index->digest.ToString()},
                    {"mediaType", r.index->media_type},
                    {"manifest", ParseOrString(r.index->bytes)}};
  }
  doc["digest"] = r.manifest.digest.ToString();
  doc["mediaType"] = r.manifest.media_type;
  doc["platform"] = r.platform.ToString();
  doc["manifest"] = ParseOrString(r.manifest.bytes);
  doc["config"] = ParseOrString(r.config_bytes);
  out << doc.dump(2) << "\n";
  return {};
}

}  // namespace kiln::cli
