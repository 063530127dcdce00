// Store: names in index.json (under index.lock) and remote records of known-but-not-local blobs.
#include <algorithm>

#include "core/media_types.h"
#include "core/reference.h"
#include "layers/fs_util.h"
#include "layers/store.h"

namespace kiln::layers {
namespace {

core::Result<core::Json> ParseJsonFile(const std::string& text, const std::string& path) {
  core::Json j = core::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return core::Fail(core::ErrorCode::kInvalidInput, path + " is not a JSON object");
  return j;
}

}  // namespace

core::Result<std::string> Store::NormalizeName(std::string_view name) {
  auto ref = core::Reference::Parse(name);
  if (!ref) return core::Fail(ref.error().Wrap("invalid image name \"" + std::string(name) + "\""));
  return ref->ToString();
}

core::Result<FileLock> Store::LockIndex() {
  return FileLock::Acquire(root_ + "/index.lock", FileLock::Mode::kExclusive);
}

core::Result<std::vector<StoreImage>> Store::ReadIndex() {
  std::string path = root_ + "/index.json";
  KILN_ASSIGN(std::string text, ReadFileToString(path));
  auto index = core::Index::Parse(text);
  if (!index) return core::Fail(index.error().Wrap(path));
  std::vector<StoreImage> out;
  for (auto& d : index->manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    if (it == d.annotations.end()) continue;  // unnamed entries are kept by nobody
    out.push_back({it->second, d});
  }
  std::sort(out.begin(), out.end(),
            [](const StoreImage& a, const StoreImage& b) { return a.name < b.name; });
  return out;
}

core::Status Store::WriteIndex(const std::vector<StoreImage>& images) {
  core::Index index;
  index.media_type = std::string(core::media::kOciIndex);
  for (const auto& img : images) {
    core::Descriptor d = img.target;
    d.annotations[std::string(kRefNameAnnotation)] = img.name;
    index.manifests.push_back(std::move(d));
  }
  return WriteFileAtomic(root_ + "/index.json", index.Serialize());
}

core::Result<std::vector<StoreImage>> Store::List() { return ReadIndex(); }

core::Result<core::Descriptor> Store::Resolve(std::string_view name) {
  auto ref = core::Reference::Parse(name);
  if (!ref) return core::Fail(ref.error().Wrap("invalid image name \"" + std::string(name) + "\""));
  if (ref->has_digest()) {
    if (!Has(ref->digest()))
      return core::Fail(core::ErrorCode::kNotFound,
                        "image " + ref->ToString() + " is not in the local store");
    KILN_ASSIGN(std::string bytes, ReadBlob(*this, ref->digest()));
    KILN_ASSIGN(std::string type, core::DetectMediaType(bytes));
    core::Descriptor d;
    d.media_type = type;
    d.digest = ref->digest();
    d.size = static_cast<int64_t>(bytes.size());
    return d;
  }
  KILN_ASSIGN(auto images, ReadIndex());
  std::string key = ref->ToString();
  for (auto& img : images) {
    if (img.name != key) continue;
    img.target.annotations.erase(std::string(kRefNameAnnotation));
    return img.target;
  }
  return core::Fail(core::ErrorCode::kNotFound, "no image named " + key + " in the local store");
}

core::Status Store::Tag(std::string_view name, const core::Descriptor& target) {
  KILN_ASSIGN(std::string key, NormalizeName(name));
  if (key.find('@') != std::string::npos)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "cannot name an image with a digest reference: " + key);
  if (!Has(target.digest))
    return core::Fail(core::ErrorCode::kNotFound,
                      "cannot tag " + key + ": manifest " + target.digest.ToString() +
                          " is not in the local store");
  KILN_ASSIGN(FileLock lock, LockIndex());
  KILN_ASSIGN(auto images, ReadIndex());
  std::erase_if(images, [&](const StoreImage& i) { return i.name == key; });
  core::Descriptor d = target;
  d.annotations.erase(std::string(kRefNameAnnotation));
  images.push_back({key, d});
  std::sort(images.begin(), images.end(),
            [](const StoreImage& a, const StoreImage& b) { return a.name < b.name; });
  return WriteIndex(images);
}

core::Status Store::Untag(std::string_view name) {
  KILN_ASSIGN(std::string key, NormalizeName(name));
  KILN_ASSIGN(FileLock lock, LockIndex());
  KILN_ASSIGN(auto images, ReadIndex());
  if (std::erase_if(images, [&](const StoreImage& i) { return i.name == key; }) == 0)
    return core::Fail(core::ErrorCode::kNotFound, "no image named " + key + " in the local store");
  return WriteIndex(images);
}

std::string Store::RemotePath(const core::Digest& d) const {
  return root_ + "/remote/" + d.algorithm() + "/" + d.hex() + ".json";
}

core::Result<std::vector<RemoteSource>> Store::RemoteSources(const core::Digest& digest) {
  std::string path = RemotePath(digest);
  auto text = ReadFileToString(path, 1 << 20);
  if (!text && text.error().code == core::ErrorCode::kNotFound) return std::vector<RemoteSource>{};
  if (!text) return core::Fail(text.error());
  KILN_ASSIGN(core::Json j, ParseJsonFile(*text, path));
  std::vector<RemoteSource> out;
  auto it = j.find("sources");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& s : *it) {
    if (!s.is_object() || !s.contains("registry") || !s.contains("repository")) continue;
    if (!s["registry"].is_string() || !s["repository"].is_string()) continue;
    out.push_back({s["registry"].get<std::string>(), s["repository"].get<std::string>()});
  }
  return out;
}

core::Status Store::RecordRemote(const core::Descriptor& blob, const RemoteSource& source) {
  KILN_ASSIGN(FileLock lock, LockIndex());
  KILN_ASSIGN(auto sources, RemoteSources(blob.digest));
  if (std::find(sources.begin(), sources.end(), source) != sources.end()) return {};
  sources.push_back(source);
  core::Json j = core::Json::object();
  j["mediaType"] = blob.media_type;
  j["digest"] = blob.digest.ToString();
  j["size"] = blob.size;
  core::Json arr = core::Json::array();
  for (const auto& s : sources)
    arr.push_back(core::Json{{"registry", s.registry}, {"repository", s.repository}});
  j["sources"] = std::move(arr);
  return WriteFileAtomic(RemotePath(blob.digest), j.dump());
}

}  // namespace kiln::layers
