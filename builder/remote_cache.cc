#include "builder/remote_cache.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>

#include "builder/build_session.h"
#include "builder/builder.h"
#include "builder/image_transfer.h"
#include "builder/layout_reader.h"
#include "core/media_types.h"
#include "core/sys_fs.h"
#include "layers/fs_util.h"
#include "layers/image_inspect.h"
#include "registry/file_blob_source.h"
#include "registry/parallel.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;
using core::Json;
namespace fs = std::filesystem;

Json PlatformJson(const core::Platform& p) {
  Json j = Json::object();
  j["os"] = p.os;
  j["architecture"] = p.architecture;
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  return j;
}

core::Platform PlatformFrom(const Json& j) {
  core::Platform p;
  if (!j.is_object()) return p;
  if (j.contains("os") && j["os"].is_string()) p.os = j["os"].get<std::string>();
  if (j.contains("architecture") && j["architecture"].is_string())
    p.architecture = j["architecture"].get<std::string>();
  if (j.contains("variant") && j["variant"].is_string()) p.variant = j["variant"].get<std::string>();
  if (j.contains("os.version") && j["os.version"].is_string())
    p.os_version = j["os.version"].get<std::string>();
  return p;
}

// A cache step serves only the very platform it was built for: os, architecture, variant and
// (Windows) the full os.version. Keys chain the base image's digest already; this is the second
// lock on the door, for bases that are the same across versions (scratch) and for hand-made
// documents.
bool SamePlatform(const core::Platform& a, const core::Platform& b) {
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant &&
         a.os_version == b.os_version;
}

std::string PlatformKey(const core::Platform& p) {
  return p.os + "/" + p.architecture + "/" + p.variant + ":" + p.os_version;
}

core::Error Bad(const std::string& what) { return core::Error{ErrorCode::kInvalidInput, what, std::nullopt}; }

std::string Mib(uint64_t bytes) { return layers::HumanSize(static_cast<int64_t>(bytes)); }

}  // namespace

// ---------------------------------------------------------------- the document

Json CacheDocument::ToJson() const {
  Json j = Json::object();
  j["kiln.cache"] = 1;
  j["mode"] = mode;
  Json s = Json::array();
  for (const auto& r : steps) {
    Json e = Json::object();
    e["key"] = r.key.ToString();
    e["platform"] = PlatformJson(r.platform);
    e["layer"] = r.layer.blob.ToJson();
    e["diff_id"] = r.layer.diff_id.ToString();
    e["tar_size"] = r.layer.tar_size;
    s.push_back(std::move(e));
  }
  j["steps"] = std::move(s);
  Json im = Json::array();
  for (const auto& r : images) {
    Json e = Json::object();
    e["key"] = r.key.ToString();
    e["platform"] = PlatformJson(r.platform);
    e["created"] = r.created;
    e["history_created"] = r.history_created;
    im.push_back(std::move(e));
  }
  j["images"] = std::move(im);
  return j;
}

core::Result<CacheDocument> CacheDocument::FromJson(const Json& j) {
  if (!j.is_object() || !j.contains("kiln.cache") || !j["kiln.cache"].is_number_integer())
    return std::unexpected(Bad("not a kiln cache document"));
  if (j["kiln.cache"].get<int64_t>() != 1)
    return std::unexpected(Bad("kiln cache document version " + j["kiln.cache"].dump() +
                               " is not supported (this kiln reads version 1)"));
  CacheDocument d;
  if (j.contains("mode") && j["mode"].is_string()) d.mode = j["mode"].get<std::string>();
  if (j.contains("steps") && j["steps"].is_array()) {
    for (const auto& e : j["steps"]) {
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("layer") ||
          !e.contains("diff_id") || !e["diff_id"].is_string())
        return std::unexpected(Bad("malformed step record in kiln cache document"));
      auto key = core::Digest::Parse(e["key"].get<std::string>());
      auto blob = core::Descriptor::FromJson(e["layer"]);
      auto diff_id = core::Digest::Parse(e["diff_id"].get<std::string>());
      if (!key || !blob || !diff_id)
        return std::unexpected(Bad("malformed step record in kiln cache document"));
      if (!core::media::IsLayer(blob->media_type))
        return std::unexpected(Bad("step record with a non-layer media type \"" + blob->media_type + "\""));
      CacheStepRecord r{*key, CachedLayer{*blob, *diff_id, 0}, PlatformFrom(e.value("platform", Json()))};
      if (e.contains("tar_size") && e["tar_size"].is_number_unsigned())
        r.layer.tar_size = e["tar_size"].get<uint64_t>();
      d.steps.push_back(std::move(r));
    }
  }
  if (j.contains("images") && j["images"].is_array()) {
    for (const auto& e : j["images"]) {
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string()) continue;
      auto key = core::Digest::Parse(e["key"].get<std::string>());
      if (!key) continue;
      CacheImageRecord r;
      r.key = *key;
      r.platform = PlatformFrom(e.value("platform", Json()));
      if (e.contains("created") && e["created"].is_string()) r.created = e["created"].get<std::string>();
      if (e.contains("history_created") && e["history_created"].is_array())
        for (const auto& h : e["history_created"])
          if (h.is_string()) r.history_created.push_back(h.get<std::string>());
      d.images.push_back(std::move(r));
    }
  }
  return d;
}

CacheDocument MakeCacheDocument(const std::vector<CacheStepRecord>& steps,
                                const std::vector<CacheImageRecord>& images, bool max) {
  CacheDocument d;
  d.mode = max ? "max" : "min";
  std::set<std::string> seen;
  for (const auto& s : steps)
    if (seen.insert(s.key.hex() + PlatformKey(s.platform)).second) d.steps.push_back(s);
  seen.clear();
  for (const auto& i : images)
    if (seen.insert(i.key.hex() + PlatformKey(i.platform)).second) d.images.push_back(i);
  return d;
}

// ---------------------------------------------------------------- import

core::Status CacheImports::LoadRegistry(const CacheSpec& spec, registry::Client& client,
                                        Source& out) {
  KILN_ASSIGN(core::Reference ref, core::Reference::Parse(spec.ref));
  out.repo = ref;
  KILN_ASSIGN(registry::FetchedManifest top, client.GetManifest(ref));
  out.digest = top.digest;
  std::vector<registry::FetchedManifest> manifests;
  if (core::media::IsIndex(top.media_type)) {
    // An image index: the inline caches of its images (one per platform).
    KILN_ASSIGN(core::Index index, core::Index::Parse(top.bytes, top.media_type));
    size_t n = 0;
    for (const auto& e : index.manifests) {
      if (!core::media::IsManifest(e.media_type) || ++n > 16) continue;
      if (e.platform && e.platform->os == "unknown") continue;  // attestations
      KILN_ASSIGN(auto m, client.GetManifest(ref.WithoutDigest().WithDigest(e.digest)));
      manifests.push_back(std::move(m));
    }
  } else {
    manifests.push_back(std::move(top));
  }
  bool found = false;
  for (const auto& fm : manifests) {
    KILN_ASSIGN(core::Manifest m, core::Manifest::Parse(fm.bytes, fm.media_type));
    bool artifact = m.artifact_type == kCacheArtifactType || m.config.media_type == kCacheConfigType;
    KILN_ASSIGN(std::string config, client.FetchSmallBlob(ref, m.config));
    Json j = Json::parse(config, nullptr, /*allow_exceptions=*/false);
    if (!artifact) {  // an image: its inline cache, if it has one
      if (!j.is_object() || !j.contains(std::string(kInlineCacheField))) continue;
      j = j[std::string(kInlineCacheField)];
    }
    KILN_ASSIGN(CacheDocument doc, CacheDocument::FromJson(j));
    for (auto& s : doc.steps) out.doc.steps.push_back(std::move(s));
    for (auto& i : doc.images) out.doc.images.push_back(std::move(i));
    out.doc.mode = doc.mode;
    found = true;
  }
  if (!found)
    return core::Fail(ErrorCode::kNotFound,
                      "it is neither a kiln cache nor an image with an inline kiln cache");
  return {};
}

core::Status CacheImports::LoadLocal(const CacheSpec& spec, Source& out) {
  KILN_ASSIGN(LayoutReader layout, LayoutReader::Open(spec.dir + ":" + spec.tag));
  KILN_ASSIGN(core::Descriptor target, layout.Target());
  out.layout_dir = layout.dir();
  out.digest = target.digest;
  KILN_ASSIGN(std::string bytes, layout.ReadBlob(target.digest));
  KILN_ASSIGN(core::Manifest m, core::Manifest::Parse(bytes, target.media_type));
  if (m.artifact_type != kCacheArtifactType && m.config.media_type != kCacheConfigType)
    return core::Fail(ErrorCode::kInvalidInput, "its \"" + spec.tag + "\" is not a kiln cache");
  KILN_ASSIGN(std::string config, layout.ReadBlob(m.config.digest));
  KILN_ASSIGN(out.doc, CacheDocument::FromJson(Json::parse(config, nullptr, false)));
  return {};
}

void CacheImports::Load(const std::vector<CacheSpec>& from, registry::Client& client,
                        layers::Store& /*store*/, core::ProgressSink& progress,
                        std::vector<std::string>& warnings) {
  int n = 0;
  for (const auto& spec : from) {
    Source src;
    src.type = spec.type == CacheSpec::Type::kLocal ? "local" : "registry";
    src.name = spec.type == CacheSpec::Type::kLocal ? spec.dir : spec.ref;
    std::string id = "cache-import-" + std::to_string(++n);
    std::string label = "importing cache from " + src.name;
    auto start = std::chrono::steady_clock::now();
    progress.Emit({core::ProgressKind::kStart, id, label, 0, 0, "", 0});
    core::Status st = spec.type == CacheSpec::Type::kLocal ? LoadLocal(spec, src)
                                                           : LoadRegistry(spec, client, src);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!st) {
      std::string why = st.error().code == ErrorCode::kNotFound ? "not found (" + st.error().message + ")"
                                                                : st.error().message;
      std::string w = "cache " + src.name + " not used: " + why;
      progress.Emit({core::ProgressKind::kWarning, id, label, 0, 0, w, 0});
      progress.Emit({core::ProgressKind::kDone, id, label + ": nothing imported", 0, 0, "", secs});
      (void)warnings;  // shown once, by the progress line above
      continue;
    }
    uint64_t bytes = 0;
    std::set<std::string> blobs;
    for (size_t i = 0; i < src.doc.steps.size(); ++i) {
      src.by_key[src.doc.steps[i].key.hex()].push_back(i);
      if (blobs.insert(src.doc.steps[i].layer.blob.digest.hex()).second)
        bytes += src.doc.steps[i].layer.blob.size;
    }
    label += " (" + src.digest.Short() + "): " + std::to_string(src.doc.steps.size()) +
             " steps, " + std::to_string(blobs.size()) + " layers of " + Mib(bytes) +
             " known (fetched only if needed)";
    progress.Emit({core::ProgressKind::kDone, id, label, 0, 0, "", secs});
    sources_.push_back(std::move(src));
  }
}

std::optional<CacheImports::Hit> CacheImports::Lookup(const core::Digest& key,
                                                      const core::Platform& platform,
                                                      registry::Client& client,
                                                      layers::Store& store,
                                                      core::ProgressSink& progress) {
  for (const auto& src : sources_) {
    auto it = src.by_key.find(key.hex());
    if (it == src.by_key.end()) continue;
    for (size_t idx : it->second) {
      const CacheStepRecord& r = src.doc.steps[idx];
      if (!SamePlatform(r.platform, platform)) continue;
      const core::Digest& d = r.layer.blob.digest;
      {
        std::lock_guard lock(mu_);
        if (gone_.count(d.hex())) continue;
      }
      bool present = store.Has(d);
      if (!present && !src.layout_dir.empty()) {
        std::error_code ec;
        present = fs::is_regular_file(sys::U8Path(src.layout_dir + "/blobs/sha256/" + d.hex()), ec);
      } else if (!present) {
        // A HEAD, not a GET: the registry may have garbage-collected the layer.
        auto has = client.HasBlob(src.repo, d);
        present = has && *has;
        if (present && !store.RecordRemote(r.layer.blob, {src.repo.registry(), src.repo.repository()}))
          present = false;
      }
      if (!present) {
        std::lock_guard lock(mu_);
        if (gone_.insert(d.hex()).second) {
          std::string w = "cache " + src.name + ": layer " + d.ToString() +
                          " is gone (garbage-collected?); the step that made it runs again";
          warnings_.push_back(w);
          progress.Emit({core::ProgressKind::kWarning, "", "", 0, 0, w, 0});
        }
        continue;
      }
      Hit hit{r.layer, LayerOrigin{}};
      if (!src.layout_dir.empty() && !store.Has(d)) hit.origin.layout_dir = src.layout_dir;
      return hit;
    }
  }
  return std::nullopt;
}

std::optional<CacheImageRecord> CacheImports::Image(const core::Digest& key,
                                                    const core::Platform& platform) const {
  for (const auto& src : sources_)
    for (const auto& i : src.doc.images)
      if (i.key == key && SamePlatform(i.platform, platform)) return i;
  return std::nullopt;
}

Json CacheImports::Summary() const {
  Json a = Json::array();
  for (const auto& src : sources_) {
    Json e = Json::object();
    e["type"] = src.type;
    e[src.type == "local" ? "src" : "ref"] = src.name;
    e["digest"] = src.digest.ToString();
    e["steps"] = src.doc.steps.size();
    a.push_back(std::move(e));
  }
  return a;
}

std::vector<std::string> CacheImports::TakeWarnings() {
  std::lock_guard lock(mu_);
  return std::move(warnings_);
}

// ---------------------------------------------------------------- export

namespace {

std::vector<core::Descriptor> UniqueLayers(const CacheDocument& doc) {
  std::vector<core::Descriptor> out;
  std::set<std::string> seen;
  for (const auto& s : doc.steps)
    if (seen.insert(s.layer.blob.digest.hex()).second) out.push_back(s.layer.blob);
  return out;
}

core::Descriptor ConfigDescriptor(const std::string& bytes) {
  core::Descriptor d;
  d.media_type = std::string(kCacheConfigType);
  d.digest = core::Digest::Sha256Of(bytes);
  d.size = bytes.size();
  return d;
}

core::Manifest CacheManifest(const core::Descriptor& config, const std::vector<core::Descriptor>& layers) {
  core::Manifest m;
  m.media_type = std::string(core::media::kOciManifest);
  m.artifact_type = std::string(kCacheArtifactType);
  m.config = config;
  m.layers = layers;
  return m;
}

core::Result<Json> ExportRegistry(BuildSession& session, const CacheSpec& spec,
                                  const CacheDocument& doc, const BuildResult& result,
                                  const std::string& id) {
  layers::Store& store = session.store();
  registry::Client& client = session.images().client();
  KILN_ASSIGN(core::Reference ref, core::Reference::Parse(spec.ref));
  std::set<std::string> in_image;  // blobs of the pushed images: mountable from their repos
  for (const auto& img : result.images)
    for (const auto& l : img.layers) in_image.insert(l.blob.digest.hex());
  std::vector<core::Reference> pushed = session.Pushed();
  std::vector<core::Descriptor> layers = UniqueLayers(doc);
  std::vector<std::unique_ptr<registry::BlobSource>> sources;
  std::vector<registry::BlobPlan> plans;
  for (const auto& d : layers) {
    registry::BlobPlan plan;
    plan.descriptor = d;
    if (store.Has(d.digest)) {
      sources.push_back(std::make_unique<registry::FileBlobSource>(store.BlobPath(d.digest), "the local store"));
      plan.local = sources.back().get();
    }
    if (in_image.count(d.digest.hex()))
      for (const auto& p : pushed)
        if (p.registry() == ref.registry()) plan.remotes.push_back(p.WithoutDigest().WithTag(""));
    KILN_ASSIGN(auto remotes, store.RemoteSources(d.digest));
    for (const auto& r : remotes)
      if (auto rr = core::Reference::ParseName(r.registry + "/" + r.repository)) plan.remotes.push_back(*rr);
    if (!plan.local && plan.remotes.empty()) {
      // A hit from a type=local cache: its bytes are in that layout.
      KILN_TRY(session.images().EnsureLocal(d, LayerOrigin{session.imports().LayoutHolding(d.digest)}));
      sources.push_back(std::make_unique<registry::FileBlobSource>(store.BlobPath(d.digest), "the local store"));
      plan.local = sources.back().get();
    }
    plans.push_back(std::move(plan));
  }
  std::string config = doc.ToJson().dump();
  core::Descriptor config_desc = ConfigDescriptor(config);
  sources.push_back(std::make_unique<registry::MemoryBlobSource>(config));
  registry::BlobPlan config_plan;
  config_plan.descriptor = config_desc;
  config_plan.local = sources.back().get();
  plans.push_back(config_plan);
  // Blobs first (layers and the cache config), then the manifest in one PUT of the tag.
  std::vector<registry::BlobOutcome> outcomes(plans.size());
  KILN_TRY(registry::ForEachParallel(plans.size(), client.options().jobs, [&](size_t i) -> core::Status {
    KILN_ASSIGN(outcomes[i], client.EnsureBlob(ref, plans[i], nullptr));
    return {};
  }));
  std::string manifest = CacheManifest(config_desc, layers).Serialize();
  KILN_ASSIGN(core::Digest digest, client.PushManifest(ref, core::media::kOciManifest, manifest, plans, nullptr));
  int present = 0, mounted = 0, uploaded = 0;
  uint64_t total = 0, up_bytes = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    total += plans[i].descriptor.size;
    switch (outcomes[i]) {
      case registry::BlobOutcome::kPresent: ++present; break;
      case registry::BlobOutcome::kMounted: ++mounted; break;
      case registry::BlobOutcome::kUploaded: ++uploaded; up_bytes += plans[i].descriptor.size; break;
    }
  }
  Json e = Json::object();
  e["type"] = "registry";
  e["ref"] = ref.ToString();
  e["mode"] = doc.mode;
  e["digest"] = digest.ToString();
  e["config"] = config_desc.digest.ToString();
  e["steps"] = doc.steps.size();
  e["blobs"] = {{"present", present}, {"mounted", mounted}, {"uploaded", uploaded},
                {"uploaded_bytes", up_bytes}, {"total_bytes", total}};
  session.progress().Emit(
      {core::ProgressKind::kLog, id, "", 0, 0,
       "cache " + ref.ToString() + "@" + digest.ToString() + ": " + std::to_string(doc.steps.size()) +
           " steps, " + std::to_string(plans.size()) + " blobs of " + Mib(total) + " (uploaded " +
           std::to_string(uploaded) + " = " + Mib(up_bytes) + ", mounted " + std::to_string(mounted) +
           ", already there " + std::to_string(present) + ")",
       0});
  return e;
}

// Writes `bytes` as blobs/sha256/<hex> of `dir` unless there (temp file, then rename).
core::Status PutLayoutBlob(const std::string& dir, const core::Digest& digest,
                           const std::function<core::Status(const std::string&)>& write_tmp) {
  std::string path = dir + "/blobs/sha256/" + digest.hex();
  std::error_code ec;
  if (fs::is_regular_file(sys::U8Path(path), ec)) return {};
  std::string tmp = path + ".tmp-" + std::to_string(sys::ProcessId()) + "-" +
                    std::to_string(reinterpret_cast<uintptr_t>(&tmp));
  auto st = write_tmp(tmp);
  if (!st) {
    fs::remove(sys::U8Path(tmp), ec);
    return st;
  }
  fs::rename(sys::U8Path(tmp), sys::U8Path(path), ec);
  if (ec) {
    fs::remove(sys::U8Path(tmp), ec);
    return core::Fail(ErrorCode::kIo, "cannot write " + path + ": " + ec.message());
  }
  return {};
}

core::Result<Json> ExportLocal(BuildSession& session, const CacheSpec& spec, const CacheDocument& doc) {
  layers::Store& store = session.store();
  const std::string& dir = spec.dir;
  KILN_TRY(layers::MakeDirs(dir + "/blobs/sha256"));
  std::error_code ec;
  if (!fs::exists(sys::U8Path(dir + "/oci-layout"), ec))
    KILN_TRY(layers::WriteFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  std::vector<core::Descriptor> layers = UniqueLayers(doc);
  uint64_t written = 0;
  for (const auto& d : layers) {
    if (fs::is_regular_file(sys::U8Path(dir + "/blobs/sha256/" + d.digest.hex()), ec)) continue;
    if (!store.Has(d.digest))
      KILN_TRY(session.images().EnsureLocal(d, LayerOrigin{session.imports().LayoutHolding(d.digest)}));
    KILN_TRY(PutLayoutBlob(dir, d.digest, [&](const std::string& tmp) -> core::Status {
      fs::copy_file(sys::U8Path(store.BlobPath(d.digest)), sys::U8Path(tmp),
                    fs::copy_options::overwrite_existing, ec);
      if (ec) return core::Fail(ErrorCode::kIo, "cannot write " + tmp + ": " + ec.message());
      return {};
    }));
    written += d.size;
  }
  auto put_bytes = [&](const std::string& bytes) -> core::Result<core::Digest> {
    core::Digest digest = core::Digest::Sha256Of(bytes);
    KILN_TRY(PutLayoutBlob(dir, digest, [&](const std::string& tmp) { return layers::WriteFileAtomic(tmp, bytes); }));
    return digest;
  };
  std::string config = doc.ToJson().dump();
  core::Descriptor config_desc = ConfigDescriptor(config);
  KILN_TRY(put_bytes(config));
  std::string manifest = CacheManifest(config_desc, layers).Serialize();
  KILN_ASSIGN(core::Digest mdigest, put_bytes(manifest));
  // index.json last, renamed into place: readers see the old export or this one.
  Json index = Json::object();
  if (auto text = layers::ReadFileToString(dir + "/index.json", 64 << 20)) {
    Json old = Json::parse(*text, nullptr, false);
    if (old.is_object()) index = old;
  }
  index["schemaVersion"] = 2;
  index["mediaType"] = core::media::kOciIndex;
  Json entries = Json::array();
  if (index.contains("manifests") && index["manifests"].is_array())
    for (const auto& e : index["manifests"])
      if (!(e.contains("annotations") && e["annotations"].value(std::string(layers::kRefNameAnnotation), "") == spec.tag))
        entries.push_back(e);
  core::Descriptor top;
  top.media_type = std::string(core::media::kOciManifest);
  top.digest = mdigest;
  top.size = manifest.size();
  top.artifact_type = std::string(kCacheArtifactType);
  Json entry = top.ToJson();
  entry["annotations"] = {{std::string(layers::kRefNameAnnotation), spec.tag}};
  entries.push_back(entry);
  index["manifests"] = entries;
  KILN_TRY(layers::WriteFileAtomic(dir + "/index.json", index.dump()));
  Json e = Json::object();
  e["type"] = "local";
  e["dest"] = dir;
  e["tag"] = spec.tag;
  e["mode"] = doc.mode;
  e["digest"] = mdigest.ToString();
  e["config"] = config_desc.digest.ToString();
  e["steps"] = doc.steps.size();
  e["written_bytes"] = written;
  return e;
}

}  // namespace

std::string CacheImports::LayoutHolding(const core::Digest& digest) const {
  for (const auto& src : sources_) {
    if (src.layout_dir.empty()) continue;
    std::error_code ec;
    if (fs::is_regular_file(sys::U8Path(src.layout_dir + "/blobs/sha256/" + digest.hex()), ec))
      return src.layout_dir;
  }
  return "";
}

core::Status ExportCaches(BuildSession& session,
                          const std::vector<std::pair<core::Platform, ImageState>>& built,
                          BuildResult& result) {
  int n = 0;
  for (const auto& spec : session.options().cache_to) {
    if (spec.type == CacheSpec::Type::kInline) continue;  // in the image config already
    std::vector<CacheStepRecord> steps;
    if (spec.max) {
      steps = session.AllSteps();
    } else {
      for (const auto& [platform, state] : built)
        steps.insert(steps.end(), state.cache_steps.begin(), state.cache_steps.end());
    }
    CacheDocument doc = MakeCacheDocument(steps, session.Images(), spec.max);
    if (!spec.compression.empty()) {
      std::string want = spec.compression == "uncompressed" ? "none" : spec.compression;
      if (want != session.options().compression)
        session.progress().Emit(
            {core::ProgressKind::kWarning, "", "", 0, 0,
             "--cache-to compression=" + spec.compression + ": the cache's layers are the image's (" +
                 session.options().compression + "); kiln does not recompress them (use --compression)",
             0});
    }
    std::string id = "cache-export-" + std::to_string(++n);
    std::string where = spec.type == CacheSpec::Type::kLocal ? spec.dir : spec.ref;
    std::string label = "exporting cache to " + where + " (mode=" + doc.mode + ", " +
                        std::to_string(doc.steps.size()) + " steps)";
    uint64_t bytes = 0;
    for (const auto& d : UniqueLayers(doc)) bytes += d.size;
    auto start = std::chrono::steady_clock::now();
    session.progress().Emit({core::ProgressKind::kStart, id, label, 0, bytes, "", 0});
    core::Result<Json> done = spec.type == CacheSpec::Type::kLocal
                                  ? ExportLocal(session, spec, doc)
                                  : ExportRegistry(session, spec, doc, result, id);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!done) {
      core::Error err = done.error().Wrap("exporting the cache to " + where);
      if (!spec.ignore_error) {
        session.progress().Emit({core::ProgressKind::kError, id, label, 0, 0, err.message, secs});
        return std::unexpected(err);
      }
      session.progress().Emit({core::ProgressKind::kWarning, id, label, 0, 0, err.message + " (ignore-error=true)", 0});
      result.warnings.push_back(err.message);
      continue;
    }
    session.progress().Emit({core::ProgressKind::kDone, id, label, bytes, bytes, "", secs});
    result.cache_exports.push_back(*done);
  }
  return {};
}

}  // namespace kiln::builder
