#include "layers/windows/layer_unpack.h"

#include "core/digest.h"
#include "layers/compression.h"
#include "layers/tar_reader.h"

namespace kiln::layers::windows {
namespace {

// Hashes what passes through.
class HashingReader : public core::Reader {
 public:
  explicit HashingReader(core::Reader& in) : in_(in) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, in_.Read(buffer, size));
    hasher_.Update(buffer, n);
    return n;
  }
  // Reads what is left (tar padding after the end blocks) and returns the digest.
  core::Result<core::Digest> Finish() {
    char buf[64 * 1024];
    for (;;) {
      KILN_ASSIGN(size_t n, Read(buf, sizeof buf));
      if (n == 0) return hasher_.Finish();
    }
  }

 private:
  core::Reader& in_;
  core::Hasher hasher_;
};

core::Status Unpack(const SnapshotLayer& layer, core::Reader& blob, DiffSink& sink) {
  KILN_ASSIGN(auto tar, NewDecompressor(blob));
  HashingReader hashed(*tar);
  TarReader reader(hashed);
  for (;;) {
    KILN_ASSIGN(const TarEntry* entry, reader.Next());
    if (!entry) break;
    bool has_content = entry->is_file() && entry->size > 0;
    KILN_TRY(sink.Add(*entry, has_content ? &reader.content() : nullptr));
  }
  KILN_ASSIGN(core::Digest diff_id, hashed.Finish());
  if (!layer.diff_id.empty() && diff_id != layer.diff_id)
    return core::Fail(core::ErrorCode::kInvalidInput, "the layer's content has diff_id " +
                                                          diff_id.ToString() + ", expected " +
                                                          layer.diff_id.ToString());
  return {};
}

}  // namespace

core::Status UnpackLayer(const SnapshotLayer& layer, core::Reader& blob, DiffSink& sink) {
  auto status = Unpack(layer, blob, sink);
  if (!status) {
    std::string what =
        layer.diff_id.empty() ? layer.blob.digest.ToString() : layer.diff_id.ToString();
    return core::Fail(status.error().Wrap("layer " + what));
  }
  return {};
}

}  // namespace kiln::layers::windows
