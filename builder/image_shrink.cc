#include "builder/image_shrink.h"

#include <atomic>
#include <chrono>
#include <map>

#include "builder/attestation.h"

#include "core/media_types.h"
#include "layers/local_image.h"
#include "layers/shrink_writer.h"

namespace kiln::builder {
namespace {

namespace media = core::media;

layers::LayerFlavor FlavorOf(const core::ImageConfig& config) {
  return config.os == "windows" ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux;
}

std::string Range(size_t first, size_t last) {
  return first == last ? "layer " + std::to_string(first)
                       : "layers " + std::to_string(first) + "-" + std::to_string(last);
}

void AddComment(core::HistoryEntry& h, const std::string& text) {
  h.comment = h.comment.empty() ? text : h.comment + "; " + text;
}

// History stays truthful: the steps whose layers were merged away or dropped are marked
// empty_layer, and the layer that holds a squash says which layers it replaces.
void RewriteHistory(core::ImageConfig& config, const layers::ShrinkPlan& plan, size_t layer_count,
                    std::vector<std::string>& notes) {
  size_t non_empty = 0;
  for (const auto& h : config.history) non_empty += h.empty_layer ? 0 : 1;
  if (non_empty != layer_count) {
    notes.push_back("history has " + std::to_string(non_empty) + " layer entries for " +
                    std::to_string(layer_count) + " layers; left as it was");
    return;
  }
  std::vector<core::HistoryEntry*> by_layer;
  for (auto& h : config.history)
    if (!h.empty_layer) by_layer.push_back(&h);
  for (const auto& lp : plan.layers) {
    if (lp.keep && !lp.empty) continue;
    size_t first = lp.sources.front(), last = lp.sources.back();
    for (size_t l : lp.sources) {
      core::HistoryEntry& h = *by_layer[l];
      if (lp.empty) {
        h.empty_layer = true;
        AddComment(h, "kiln shrink: layer removed (nothing a container sees was left)");
      } else if (l != last) {
        h.empty_layer = true;
        AddComment(h, "kiln shrink: squashed into the layer of a later step");
      } else {
        AddComment(h, "kiln shrink: this layer replaces " + Range(first, last) + " of the original");
      }
    }
  }
}

}  // namespace

core::Result<std::vector<layers::LayerCatalog>> LoadCatalogs(layers::Store& store,
                                                             const core::Manifest& manifest,
                                                             layers::LayerFlavor flavor,
                                                             bool hash_content,
                                                             const EnsureLayerFn& ensure,
                                                             core::ProgressSink* progress) {
  core::ProgressSink& sink = progress ? *progress : core::NullProgress();
  static std::atomic<uint64_t> reads{0};
  std::string id = "read-layers-" + std::to_string(reads++);
  std::string label = "reading " + std::to_string(manifest.layers.size()) + " layers";
  uint64_t total = 0;
  for (const auto& l : manifest.layers) total += l.size;
  auto start = std::chrono::steady_clock::now();
  sink.Emit({core::ProgressKind::kStart, id, label, 0, total, "", 0});
  core::ProgressMeter meter(sink, id, label);
  meter.Phase("reading", manifest.layers.size(), total);
  // The compressed bytes each layer's reader takes from the store.
  struct Counting : core::Reader {
    core::Reader& inner;
    core::ProgressMeter& meter;
    Counting(core::Reader& r, core::ProgressMeter& m) : inner(r), meter(m) {}
    core::Result<size_t> Read(void* buffer, size_t size) override {
      auto n = inner.Read(buffer, size);
      if (n) meter.Add(0, *n);
      return n;
    }
  };
  std::vector<layers::LayerCatalog> out;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const core::Descriptor& layer = manifest.layers[i];
    if (!store.Has(layer.digest)) {
      if (!ensure)
        return core::Fail(core::ErrorCode::kNotFound,
                          "layer " + layer.digest.ToString() + " is not in the local store");
      KILN_TRY(ensure(layer));
    }
    KILN_ASSIGN(auto blob, store.Open(layer.digest));
    layers::CatalogOptions options;
    options.hash_content = hash_content;
    Counting counted(*blob, meter);
    auto catalog = layers::ReadCatalogBlob(counted, flavor, options);
    if (!catalog) {
      sink.Emit({core::ProgressKind::kError, id, label, 0, 0, catalog.error().message, 0});
      return std::unexpected(catalog.error().Wrap("reading layer " + std::to_string(i)));
    }
    meter.Add(1, 0);
    out.push_back(std::move(*catalog));
  }
  sink.Emit({core::ProgressKind::kDone, id, label, total, total, "",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  return out;
}

size_t DetectBaseLayers(const std::vector<layers::LayerCatalog>& catalogs) {
  if (catalogs.empty()) return 0;
  if (catalogs[0].flavor != layers::LayerFlavor::kWindows) return 1;
  size_t n = 0;
  for (const auto& c : catalogs) {
    bool hives = false;
    for (const auto& e : c.entries)
      hives |= e.kind == layers::CatalogKind::kRoot && c.names.Equals(e.path, "Hives");
    if (hives && !c.utility_vm) break;
    ++n;
  }
  return std::max<size_t>(n, 1);
}

core::Result<ShrinkReport> ShrinkManifest(layers::Store& store, const core::Descriptor& manifest,
                                          const ShrinkRequest& request,
                                          const EnsureLayerFn& ensure) {
  KILN_ASSIGN(layers::LocalImage image, layers::LoadImage(store, manifest));
  const auto& src_layers = image.manifest.layers;
  if (image.config.diff_ids.size() != src_layers.size())
    return core::Fail(core::ErrorCode::kInvalidInput, "config lists " +
                                                          std::to_string(image.config.diff_ids.size()) +
                                                          " diff_ids for " + std::to_string(src_layers.size()) + " layers");
  ShrinkReport report;
  report.before = manifest;
  report.flavor = FlavorOf(image.config);
  KILN_ASSIGN(auto catalogs, LoadCatalogs(store, image.manifest, report.flavor,
                                          request.options.dedupe, ensure, request.progress));
  report.base_layers = std::min(request.base_layers.value_or(DetectBaseLayers(catalogs)), catalogs.size());
  KILN_ASSIGN(layers::ShrinkPlan plan, layers::PlanShrink(catalogs, report.base_layers, request.options));

  layers::LayerOptions options;
  options.flavor = report.flavor;
  options.compression = request.compression.value_or(layers::CompressionOptions{});
  options.docker_media_types = image.manifest.media_type == media::kDockerManifest;
  core::ImageConfig config = image.config;
  config.diff_ids.resize(report.base_layers);
  std::vector<core::Descriptor> out_layers(src_layers.begin(), src_layers.begin() + report.base_layers);
  layers::SourceOpener open = [&](size_t i) { return store.Open(src_layers[i].digest); };
  for (size_t i = report.base_layers; i < src_layers.size(); ++i) {
    report.added_compressed_before += src_layers[i].size;
    report.added_tar_before += catalogs[i].tar_size;
  }
  for (const auto& lp : plan.layers) {
    if (lp.empty) continue;
    if (lp.keep && (!request.compression || catalogs[lp.sources[0]].utility_vm)) {
      size_t i = lp.sources[0];
      out_layers.push_back(src_layers[i]);
      config.diff_ids.push_back(image.config.diff_ids[i]);
      report.added_compressed_after += src_layers[i].size;
      report.added_tar_after += catalogs[i].tar_size;
      continue;
    }
    auto written = layers::WritePlannedLayer(lp, open, options, store);
    if (!written)
      return std::unexpected(written.error().Wrap("shrinking " + Range(lp.sources.front(), lp.sources.back())));
    out_layers.push_back(written->blob);
    config.diff_ids.push_back(written->diff_id);
    report.added_compressed_after += written->blob.size;
    report.added_tar_after += written->tar_size;
  }
  report.notes = plan.notes;
  RewriteHistory(config, plan, src_layers.size(), report.notes);
  report.savings = plan.savings;
  report.layers_before = src_layers.size();
  report.layers_after = out_layers.size();
  KILN_ASSIGN(report.after, layers::PutImage(store, config, out_layers, options.docker_media_types));
  return report;
}

core::Result<std::pair<core::Descriptor, std::vector<ShrinkReport>>> ShrinkImage(
    layers::Store& store, const core::Descriptor& top, const ShrinkRequest& request,
    const EnsureLayerFn& ensure) {
  std::vector<ShrinkReport> reports;
  if (!media::IsIndex(top.media_type)) {
    KILN_ASSIGN(auto r, ShrinkManifest(store, top, request, ensure));
    core::Descriptor after = r.after;
    reports.push_back(std::move(r));
    return std::pair{after, std::move(reports)};
  }
  KILN_ASSIGN(core::Index index, layers::LoadIndex(store, top));
  std::vector<core::Descriptor> manifests;
  std::map<core::Digest, core::Digest> shrunk;  // image manifest before -> after
  for (const auto& m : index.manifests) {
    if (IsAttestationManifest(m)) continue;
    KILN_ASSIGN(auto r, ShrinkManifest(store, m, request, ensure));
    core::Descriptor d = r.after;
    if (m.platform) d.platform = m.platform;
    shrunk[m.digest] = d.digest;
    manifests.push_back(d);
    reports.push_back(std::move(r));
  }
  // Attestations stay, after the images, and name the shrunk manifest as their subject.
  for (const auto& m : index.manifests) {
    if (!IsAttestationManifest(m)) continue;
    auto ref = m.annotations.find(std::string(kReferenceDigestAnnotation));
    auto it = shrunk.end();
    if (ref != m.annotations.end())
      if (auto subject = core::Digest::Parse(ref->second)) it = shrunk.find(*subject);
    if (it == shrunk.end()) {
      manifests.push_back(m);
      continue;
    }
    KILN_ASSIGN(core::Descriptor moved, ResubjectAttestation(store, m, it->second));
    manifests.push_back(std::move(moved));
  }
  KILN_ASSIGN(core::Descriptor out,
              layers::PutIndex(store, manifests, index.media_type == media::kDockerManifestList));
  return std::pair{out, std::move(reports)};
}

core::Result<layers::ImageAnalysis> AnalyzeManifest(layers::Store& store,
                                                    const core::Descriptor& manifest,
                                                    std::optional<size_t> base_layers,
                                                    const layers::ShrinkOptions& estimate,
                                                    const EnsureLayerFn& ensure,
                                                    core::ProgressSink* progress) {
  KILN_ASSIGN(layers::LocalImage image, layers::LoadImage(store, manifest));
  layers::LayerFlavor flavor = FlavorOf(image.config);
  KILN_ASSIGN(auto catalogs, LoadCatalogs(store, image.manifest, flavor, estimate.dedupe, ensure,
                                          progress));
  size_t base = std::min(base_layers.value_or(DetectBaseLayers(catalogs)), catalogs.size());
  KILN_ASSIGN(layers::ImageAnalysis a, layers::AnalyzeCatalogs(catalogs, base, estimate));
  a.manifest = manifest;
  std::vector<std::string> created_by;
  for (const auto& h : image.config.history)
    if (!h.empty_layer) created_by.push_back(h.created_by);
  for (size_t i = 0; i < a.layers.size(); ++i) {
    a.layers[i].blob = image.manifest.layers[i];
    if (created_by.size() == a.layers.size()) a.layers[i].created_by = created_by[i];
    if (i >= base) a.added_compressed_bytes += image.manifest.layers[i].size;
  }
  return a;
}

}  // namespace kiln::builder
