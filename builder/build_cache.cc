#include "builder/build_cache.h"

#include "core/sys_fs.h"
#include "layers/fs_util.h"

namespace kiln::builder {

core::Digest BuildCache::Chain(const core::Digest& parent, std::string_view material) {
  core::Hasher h;
  h.Update(parent.ToString());
  h.Update("\n", 1);
  h.Update(material);
  return h.Finish();
}

std::string BuildCache::Path(const core::Digest& key) const {
  return dir_ + "/steps/" + key.hex() + ".json";
}

std::optional<CachedLayer> BuildCache::Lookup(const core::Digest& key,
                                              layers::BlobStore& store) const {
  if (!enabled_) return std::nullopt;
  auto text = layers::ReadFileToString(Path(key), 1 << 20);
  if (!text) return std::nullopt;
  core::Json j = core::Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("layer") || !j["diff_id"].is_string()) return std::nullopt;
  auto blob = core::Descriptor::FromJson(j["layer"]);
  auto diff_id = core::Digest::Parse(j["diff_id"].get<std::string>());
  if (!blob || !diff_id || !store.Has(blob->digest)) return std::nullopt;
  CachedLayer out{*blob, *diff_id, 0};
  if (j["tar_size"].is_number_unsigned()) out.tar_size = j["tar_size"].get<uint64_t>();
  return out;
}

core::Status BuildCache::Record(const core::Digest& key, const CachedLayer& layer) const {
  KILN_TRY(layers::MakeDirs(dir_ + "/steps"));
  core::Json j = core::Json::object();
  j["layer"] = layer.blob.ToJson();
  j["diff_id"] = layer.diff_id.ToString();
  j["tar_size"] = layer.tar_size;
  return layers::WriteFileAtomic(Path(key), j.dump());
}

std::string BuildCache::PrefixPath(const core::Digest& prefix) const {
  return dir_ + "/prefixes/" + prefix.hex();
}

bool BuildCache::MayHit(const core::Digest& prefix) const {
  if (!enabled_) return false;
  sys::FileStat st;
  return sys::Stat(PrefixPath(prefix), &st) == 0;
}

core::Status BuildCache::RecordPrefix(const core::Digest& prefix) const {
  sys::FileStat st;
  if (sys::Stat(PrefixPath(prefix), &st) == 0) return {};
  KILN_TRY(layers::MakeDirs(dir_ + "/prefixes"));
  // Empty: a prefix is not a blob digest, so prune's "every sha256:<hex> under cache/ is a
  // root" rule must not see one.
  return layers::WriteFileAtomic(PrefixPath(prefix), "");
}

}  // namespace kiln::builder
