#include "layers/blob_store.h"

namespace kiln::layers {

core::Result<core::Descriptor> BlobStore::Put(core::Reader& content, std::string_view media_type,
                                              const core::Digest* expected) {
  KILN_ASSIGN(auto w, NewWriter());
  KILN_TRY(core::Copy(content, *w));
  return w->Commit(media_type, expected);
}

core::Result<std::string> ReadBlob(BlobStore& store, const core::Digest& digest, size_t limit) {
  KILN_ASSIGN(auto r, store.Open(digest));
  auto data = core::ReadAll(*r, limit);
  if (!data) return core::Fail(data.error().Wrap("reading blob " + digest.ToString()));
  return data;
}

core::Result<core::Descriptor> PutBlob(BlobStore& store, std::string_view bytes,
                                       std::string_view media_type) {
  if (bytes.size() > kMaxSmallBlobBytes) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "refusing to store a " + std::to_string(bytes.size()) + "-byte " +
                          std::string(media_type) +
                          ": larger than the 16 MiB kiln reads back for configs, manifests and "
                          "indexes");
  }
  core::StringReader r(bytes);
  return store.Put(r, media_type);
}

}  // namespace kiln::layers
