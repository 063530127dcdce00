#include "layers/image_inspect.h"

#include <cstdio>

#include "core/media_types.h"
#include "layers/local_image.h"

namespace kiln::layers {
namespace {

core::Result<core::Json> ParseJson(std::string_view bytes, const char* what) {
  core::Json j = core::Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return core::Fail(core::ErrorCode::kInvalidInput, std::string("malformed ") + what);
  return j;
}

std::string ShortType(const std::string& media_type) {
  auto pos = media_type.find_last_of(".+");
  std::string tail = pos == std::string::npos ? media_type : media_type.substr(pos + 1);
  return tail == "tar" || tail == "v1" ? "tar" : "tar+" + tail;
}

core::Json RowJson(const LayerRow& r) {
  core::Json j = r.blob.ToJson();
  if (!r.diff_id.empty()) j["diffID"] = r.diff_id.ToString();
  j["local"] = r.local;
  if (!r.sources.empty()) {
    core::Json s = core::Json::array();
    for (const auto& src : r.sources) s.push_back(src.registry + "/" + src.repository);
    j["sources"] = s;
  }
  if (!r.created_by.empty()) j["createdBy"] = r.created_by;
  return j;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

void RenderManifest(const ManifestReport& m, std::string& out) {
  out += "Manifest:    " + m.descriptor.digest.ToString() + " (" + m.descriptor.media_type + ")\n";
  out += "Platform:    " + m.platform.ToString() + "\n";
  if (!m.created.empty()) out += "Created:     " + m.created + "\n";
  out += "Size:        " + HumanSize(m.total_size) + " (compressed, " +
         std::to_string(m.layers.size()) + " layers)\n";
  out += "Layers:\n  #   " + Pad("DIGEST", 20) + Pad("SIZE", 11) + Pad("TYPE", 10) +
         Pad("DIFF ID", 20) + Pad("STATE", 8) + "CREATED BY\n";
  int n = 0;
  for (const auto& r : m.layers) {
    std::string created = r.created_by.size() > 60 ? r.created_by.substr(0, 57) + "..." : r.created_by;
    out += "  " + Pad(std::to_string(++n), 4) + Pad(r.blob.digest.ToString().substr(0, 19), 20) +
           Pad(HumanSize(r.blob.size), 11) + Pad(ShortType(r.blob.media_type), 10) +
           Pad(r.diff_id.empty() ? "-" : r.diff_id.ToString().substr(0, 19), 20) +
           Pad(r.local ? "local" : "remote", 8) + created + "\n";
  }
  out += "Manifest JSON:\n" + m.manifest.dump(2) + "\nConfig JSON:\n" + m.config.dump(2) + "\n";
}

}  // namespace

std::string HumanSize(int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", v, units[u]);
  return buf;
}

core::Result<ManifestReport> DescribeManifest(
    const core::Descriptor& descriptor, std::string_view manifest_bytes,
    std::string_view config_bytes, const std::function<bool(const core::Digest&)>& is_local,
    const std::function<std::vector<RemoteSource>(const core::Digest&)>& sources) {
  ManifestReport r;
  r.descriptor = descriptor;
  KILN_ASSIGN(core::Manifest m, core::Manifest::Parse(manifest_bytes, descriptor.media_type));
  KILN_ASSIGN(core::ImageConfig c, core::ImageConfig::Parse(config_bytes));
  KILN_ASSIGN(r.manifest, ParseJson(manifest_bytes, "manifest"));
  KILN_ASSIGN(r.config, ParseJson(config_bytes, "image config"));
  r.descriptor.media_type = m.media_type;
  r.platform = c.platform();
  r.created = c.created;
  r.total_size = m.config.size;
  std::vector<std::string> created_by;
  for (const auto& h : c.history)
    if (!h.empty_layer) created_by.push_back(h.created_by);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    LayerRow row;
    row.blob = m.layers[i];
    if (i < c.diff_ids.size()) row.diff_id = c.diff_ids[i];
    row.local = is_local ? is_local(row.blob.digest) : false;
    if (!row.local && sources) row.sources = sources(row.blob.digest);
    if (i < created_by.size()) row.created_by = created_by[i];
    r.total_size += row.blob.size;
    r.layers.push_back(std::move(row));
  }
  return r;
}

core::Result<ImageInspection> InspectLocal(Store& store, std::string_view name) {
  ImageInspection out;
  KILN_ASSIGN(out.name, Store::NormalizeName(name));
  KILN_ASSIGN(out.descriptor, store.Resolve(name));
  if (core::media::IsIndex(out.descriptor.media_type)) {
    KILN_ASSIGN(std::string bytes, ReadBlob(store, out.descriptor.digest));
    KILN_ASSIGN(out.index, ParseJson(bytes, "image index"));
  }
  KILN_ASSIGN(auto manifests, ManifestsOf(store, out.descriptor));
  auto is_local = [&](const core::Digest& d) { return store.Has(d); };
  auto sources = [&](const core::Digest& d) {
    auto s = store.RemoteSources(d);
    return s ? *s : std::vector<RemoteSource>{};
  };
  for (const auto& d : manifests) {
    KILN_ASSIGN(LocalImage img, LoadImage(store, d));
    KILN_ASSIGN(auto report, DescribeManifest(img.descriptor, img.manifest_bytes,
                                              img.config_bytes, is_local, sources));
    out.manifests.push_back(std::move(report));
  }
  return out;
}

std::string RenderInspection(const ImageInspection& in, bool json) {
  if (json) {
    core::Json j = core::Json::object();
    j["name"] = in.name;
    j["descriptor"] = in.descriptor.ToJson();
    if (in.index) j["index"] = *in.index;
    core::Json ms = core::Json::array();
    for (const auto& m : in.manifests) {
      core::Json rows = core::Json::array();
      for (const auto& r : m.layers) rows.push_back(RowJson(r));
      ms.push_back({{"descriptor", m.descriptor.ToJson()}, {"platform", m.platform.ToString()},
                    {"size", m.total_size}, {"manifest", m.manifest}, {"config", m.config},
                    {"layers", rows}});
    }
    j["manifests"] = ms;
    return j.dump(2) + "\n";
  }
  std::string out = "Name:        " + in.name + "\nDigest:      " + in.descriptor.digest.ToString() +
                    "\nMedia type:  " + in.descriptor.media_type + "\n";
  if (in.index) out += "Index:       " + std::to_string(in.manifests.size()) + " manifests\n";
  for (const auto& m : in.manifests) {
    out += "\n";
    RenderManifest(m, out);
  }
  return out;
}

}  // namespace kiln::layers
