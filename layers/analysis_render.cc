// RenderAnalysis: the text and JSON forms of `kiln analyze` (declared in image_analysis.h).
#include <cstdio>

#include "layers/image_analysis.h"
#include "layers/image_inspect.h"

namespace kiln::layers {
namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Short(const std::string& s, size_t width) {
  return s.size() <= width ? s : s.substr(0, width - 3) + "...";
}

core::Json SavingsJson(const ShrinkSavings& s) {
  core::Json j;
  j["squashedLayers"] = s.squashed_layers;
  j["squashBytes"] = s.squash_bytes;
  j["emptyLayers"] = s.empty_layers;
  j["junkFiles"] = s.junk_files;
  j["junkBytes"] = s.junk_bytes;
  j["junkExamples"] = s.junk_examples;
  j["uselessWhiteouts"] = s.useless_whiteouts;
  j["baseDeletions"] = s.base_deletions;
  j["baseDeletedBytes"] = s.base_deleted_bytes;
  j["dedupeFiles"] = s.dedupe_files;
  j["dedupeBytes"] = s.dedupe_bytes;
  return j;
}

std::string RenderJson(const ImageAnalysis& a) {
  core::Json j;
  core::Json layers = core::Json::array();
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& l = a.layers[i];
    layers.push_back({{"index", i},
                      {"digestId", l.blob.digest.ToString()},
                      {"sizeBytes", l.entry_bytes},
                      {"compressedBytes", l.blob.size},
                      {"tarBytes", l.tar_size},
                      {"files", l.files},
                      {"entries", l.entries},
                      {"base", l.base},
                      {"metadataOnly", l.metadata_only},
                      {"command", l.created_by}});
  }
  core::Json refs = core::Json::array();
  for (const auto& w : a.dive.inefficiencies)
    refs.push_back({{"count", w.count}, {"sizeBytes", w.cumulative_size}, {"file", w.path}});
  j["layer"] = layers;
  j["image"] = {{"sizeBytes", a.dive.size_bytes},
                {"inefficientBytes", a.dive.wasted_bytes},
                {"efficiencyScore", a.dive.efficiency},
                {"userSizeBytes", a.dive.user_size_bytes},
                {"wastedUserPercent", a.dive.wasted_user_percent},
                {"fileReference", refs}};
  core::Json files = core::Json::array(), dirs = core::Json::array();
  for (const auto& f : a.largest_files)
    files.push_back({{"path", f.path}, {"sizeBytes", f.bytes}, {"layer", f.layer}});
  for (const auto& d : a.largest_dirs) dirs.push_back({{"path", d.path}, {"sizeBytes", d.bytes}});
  j["kiln"] = {{"name", a.name},
               {"manifest", a.manifest.digest.ToString()},
               {"os", LayerFlavorName(a.flavor)},
               {"baseLayers", a.base_layers},
               {"addedTarBytes", a.added_tar_bytes},
               {"addedCompressedBytes", a.added_compressed_bytes},
               {"addedWastedBytes", a.added_wasted_bytes},
               {"largestFiles", files},
               {"largestDirectories", dirs},
               {"shrinkEstimate", SavingsJson(a.estimate)},
               {"notes", a.notes}};
  return j.dump(2) + "\n";
}

void Opportunities(const ImageAnalysis& a, std::string& out) {
  out += "\nShrink opportunities (what `kiln shrink` would do; bytes uncompressed)\n";
  auto lines = ShrinkOpportunities(a);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i + 1 == lines.size() && lines.size() == 1) out += "  none found\n";
    out += "  - " + lines[i] + "\n";
  }
}

}  // namespace

std::vector<std::string> ShrinkOpportunities(const ImageAnalysis& a) {
  const ShrinkSavings& s = a.estimate;
  std::vector<std::string> out;
  auto line = [&](const std::string& text) { out.push_back(text); };
  if (s.squashed_layers > 0 || s.squash_bytes > 0)
    line("squash " + std::to_string(s.squashed_layers + 1) + " added layers into fewer: " +
         HumanSize(s.squash_bytes) + " of files overwritten or deleted later");
  if (s.empty_layers > 0) line(std::to_string(s.empty_layers) + " metadata-only layers to drop");
  if (s.junk_files > 0) {
    std::string ex;
    for (const auto& p : s.junk_examples) ex += (ex.empty() ? "" : ", ") + p;
    line("junk: " + std::to_string(s.junk_files) + " files, " + HumanSize(s.junk_bytes) + " (" + ex + ")");
  }
  if (s.useless_whiteouts > 0)
    line(std::to_string(s.useless_whiteouts) + " whiteouts that delete nothing below");
  if (s.base_deletions > 0)
    line(std::to_string(s.base_deletions) + " deletions of base-image files: " +
         HumanSize(s.base_deleted_bytes) + " that no shrink can recover (they stay in the base layer)");
  if (s.dedupe_files > 0)
    line("dedupe (--dedupe): " + std::to_string(s.dedupe_files) + " identical files, " +
         HumanSize(s.dedupe_bytes) + " as hard links");
  for (const auto& note : a.notes) line(note);
  line("recompression: --compression zstd is usually smaller and faster to unpack "
       "(needs Docker 23+ or containerd)");
  return out;
}

std::string RenderAnalysis(const ImageAnalysis& a, bool json) {
  if (json) return RenderJson(a);
  std::string out = "Image: " + a.name + "  (" + std::string(LayerFlavorName(a.flavor)) +
                    ", manifest " + a.manifest.digest.ToString() + ")\n\nLayers\n";
  out += "  #   BASE  COMPRESSED  SIZE        FILES   CREATED BY\n";
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& l = a.layers[i];
    out += "  " + Pad(std::to_string(i), 4) + Pad(l.base ? "base" : "", 6) +
           Pad(HumanSize(static_cast<int64_t>(l.blob.size)), 12) +
           Pad(HumanSize(static_cast<int64_t>(l.entry_bytes)), 12) + Pad(std::to_string(l.files), 8) +
           Short(l.created_by.empty() ? (l.metadata_only ? "(metadata only)" : "") : l.created_by, 60) +
           "\n";
  }
  out += "\nEfficiency (dive's definition): " + Fixed(a.dive.efficiency, 4) +
         "\nWasted bytes (dive): " + HumanSize(a.dive.wasted_bytes) + " (" +
         std::to_string(a.dive.wasted_bytes) + ")\nUser wasted percent (dive, layer 0 excluded): " +
         Fixed(a.dive.wasted_user_percent * 100, 2) + " %\n";
  out += "Added above the " + std::to_string(a.base_layers) + " base layer(s): " +
         HumanSize(a.added_compressed_bytes) + " compressed, " + HumanSize(a.added_tar_bytes) +
         " as tar; wasted in them: " + HumanSize(a.added_wasted_bytes) + "\n";
  if (!a.dive.inefficiencies.empty()) {
    out += "\nWasted space (paths in 2+ layers)\n  COUNT  TOTAL SIZE  PATH\n";
    for (size_t i = 0; i < a.dive.inefficiencies.size() && i < 10; ++i) {
      const auto& w = a.dive.inefficiencies[i];
      out += "  " + Pad(std::to_string(w.count), 7) + Pad(HumanSize(w.cumulative_size), 12) + w.path + "\n";
    }
  }
  out += "\nLargest files\n";
  for (const auto& f : a.largest_files)
    out += "  " + Pad(HumanSize(f.bytes), 12) + "layer " + Pad(std::to_string(f.layer), 4) + f.path + "\n";
  out += "\nLargest directories\n";
  for (const auto& d : a.largest_dirs) out += "  " + Pad(HumanSize(d.bytes), 12) + d.path + "\n";
  Opportunities(a, out);
  return out;
}

}  // namespace kiln::layers
