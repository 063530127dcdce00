#include "layers/image_export.h"

#include <map>
#include <set>

#include "core/media_types.h"
#include "core/platform.h"
#include "core/reference.h"
#include "core/sys_fs.h"
#include "layers/export_sink.h"
#include "layers/fs_util.h"
#include "layers/local_image.h"

namespace kiln::layers {
namespace {

struct Named {
  core::Reference ref;
  core::Descriptor target;
};

// Every blob an image needs, in a stable order (manifests before what they reference).
core::Status Collect(Store& store, const core::Descriptor& d, std::map<std::string, int64_t>& out) {
  if (!out.emplace(d.digest.ToString(), d.size).second) return {};
  if (!store.Has(d.digest)) return {};  // reported by CheckLocal
  if (core::media::IsIndex(d.media_type)) {
    KILN_ASSIGN(core::Index idx, LoadIndex(store, d));
    for (const auto& m : idx.manifests) KILN_TRY(Collect(store, m, out));
  } else if (core::media::IsManifest(d.media_type)) {
    KILN_ASSIGN(LocalImage img, LoadImage(store, d));
    out.emplace(img.manifest.config.digest.ToString(), img.manifest.config.size);
    for (const auto& l : img.manifest.layers) out.emplace(l.digest.ToString(), l.size);
  }
  return {};
}

core::Status CheckLocal(Store& store, const std::string& name,
                        const std::map<std::string, int64_t>& blobs) {
  for (const auto& [digest, size] : blobs) {
    auto d = core::Digest::Parse(digest);
    if (store.Has(*d)) continue;
    std::string from;
    if (auto sources = store.RemoteSources(*d); sources && !sources->empty())
      from = " (known from " + (*sources)[0].registry + "/" + (*sources)[0].repository + ")";
    return core::Fail(core::ErrorCode::kNotFound,
                      "cannot save " + name + ": blob " + digest + from +
                          " is not in the local store; fetch it first with `kiln pull " + name + "`");
  }
  return {};
}

std::string BlobPath(const std::string& digest) {
  return "blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

// Which of a name's manifests carries the name in a docker-archive: docker loads every entry
// and runs the named one, so the entry for this host (linux/<arch>) when there is one, else
// the first.
size_t TaggedEntry(const std::vector<core::Descriptor>& manifests) {
  std::vector<core::Platform> platforms;
  for (const auto& m : manifests) platforms.push_back(m.platform.value_or(core::Platform{}));
  return core::SelectPlatform(core::Platform::HostLinux(), platforms).value_or(0);
}

core::Result<core::Json> DockerManifest(Store& store, const std::vector<Named>& images) {
  core::Json arr = core::Json::array();
  std::map<std::string, size_t> position;  // manifest digest -> entry
  for (const auto& img : images) {
    KILN_ASSIGN(auto manifests, ManifestsOf(store, img.target));
    std::erase_if(manifests, [&](const core::Descriptor& m) { return !store.Has(m.digest); });
    const size_t tagged = TaggedEntry(manifests);
    for (size_t i = 0; i < manifests.size(); ++i) {
      const auto& m = manifests[i];
      auto [it, fresh] = position.emplace(m.digest.ToString(), arr.size());
      if (fresh) {
        KILN_ASSIGN(LocalImage local, LoadImage(store, m));
        core::Json layers = core::Json::array();
        for (const auto& l : local.manifest.layers) layers.push_back(BlobPath(l.digest.ToString()));
        arr.push_back({{"Config", BlobPath(local.manifest.config.digest.ToString())},
                       {"RepoTags", core::Json::array()},
                       {"Layers", layers}});
      }
      if (i == tagged) arr[it->second]["RepoTags"].push_back(img.ref.Familiar());
    }
  }
  return arr;
}

core::Json OciIndex(const std::vector<Named>& images, std::vector<core::Descriptor> existing) {
  for (const auto& img : images) {
    core::Descriptor d = img.target;
    d.annotations["org.opencontainers.image.ref.name"] = img.ref.tag();
    d.annotations["io.containerd.image.name"] = img.ref.ToString();
    std::erase_if(existing, [&](const core::Descriptor& e) {
      auto it = e.annotations.find("io.containerd.image.name");
      return it != e.annotations.end() && it->second == img.ref.ToString();
    });
    existing.push_back(std::move(d));
  }
  core::Index index;
  index.media_type = std::string(core::media::kOciIndex);
  index.manifests = std::move(existing);
  return core::Json::parse(index.Serialize());
}

bool IsTarOutput(const std::string& path) {
  sys::FileStat st;
  return path.ends_with(".tar") || (sys::Stat(path, &st) == 0 && st.IsRegular());
}

}  // namespace

core::Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "oci") return ExportFormat::kOci;
  if (name == "docker") return ExportFormat::kDocker;
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "unknown format \"" + std::string(name) + "\" (use oci or docker)");
}

core::Result<SaveReport> SaveImages(Store& store, const std::vector<std::string>& names,
                                    const SaveOptions& o) {
  if (names.empty()) return core::Fail(core::ErrorCode::kInvalidInput, "no image to save");
  std::vector<Named> images;
  std::map<std::string, int64_t> blobs;
  for (const auto& name : names) {
    KILN_ASSIGN(core::Reference ref, core::Reference::Parse(name));
    if (!ref.has_tag()) ref = ref.WithTag("latest");
    KILN_ASSIGN(core::Descriptor target, store.Resolve(name));
    std::map<std::string, int64_t> mine;
    KILN_TRY(Collect(store, target, mine));
    KILN_TRY(CheckLocal(store, ref.ToString(), mine));
    blobs.insert(mine.begin(), mine.end());
    images.push_back({ref, target});
  }
  bool tar = IsTarOutput(o.output);
  KILN_ASSIGN(auto sink, tar ? NewTarExportSink(o.output, o.source_date_epoch.value_or(0))
                             : NewDirExportSink(o.output));
  SaveReport report;
  for (const auto& [digest, size] : blobs) {
    KILN_ASSIGN(core::Digest d, core::Digest::Parse(digest));
    KILN_ASSIGN(uint64_t actual, store.Size(d));
    KILN_ASSIGN(bool linked, sink->LinkBlob(BlobPath(digest), actual, store.BlobPath(d)));
    if (!linked) {
      KILN_ASSIGN(auto reader, store.Open(d));
      KILN_TRY(sink->AddBlob(BlobPath(digest), d, actual, *reader));
    }
    ++report.blobs;
    report.bytes += actual;
  }
  KILN_ASSIGN(auto existing, sink->ExistingIndex());
  KILN_TRY(sink->AddBytes("index.json", OciIndex(images, existing).dump()));
  if (o.format == ExportFormat::kDocker) {
    KILN_ASSIGN(core::Json manifest, DockerManifest(store, images));
    KILN_TRY(sink->AddBytes("manifest.json", manifest.dump()));
  }
  KILN_TRY(sink->AddBytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  KILN_TRY(sink->Finish());
  return report;
}

}  // namespace kiln::layers
