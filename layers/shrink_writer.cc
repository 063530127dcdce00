#include "layers/shrink_writer.h"

#include "core/cancel.h"
#include "layers/compression.h"
#include "layers/tar_reader.h"

namespace kiln::layers {
namespace {

// One source layer open for sequential reading.
struct Source {
  size_t layer = 0;
  std::unique_ptr<core::Reader> blob, tar;
  std::unique_ptr<TarReader> reader;
  const TarEntry* entry = nullptr;
  size_t index = 0;  // of `entry`; valid when entry != nullptr
};

core::Status SeekTo(Source& s, size_t index) {
  while (!s.entry || s.index < index) {
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(s.entry, s.reader->Next());
    if (!s.entry)
      return core::Fail(core::ErrorCode::kConflict, "layer " + std::to_string(s.layer) +
                                                        " ended before entry " + std::to_string(index + 1) +
                                                        " (changed since it was read?)");
    s.index = s.reader->index() - 1;
  }
  if (s.index != index)
    return core::Fail(core::ErrorCode::kInternal, "shrink plan is not in entry order");
  return {};
}

}  // namespace

core::Result<LayerResult> WritePlannedLayer(const LayerPlan& plan, const SourceOpener& open,
                                            LayerOptions options, BlobStore& store) {
  options.emit_windows_roots = false;
  options.windows_base_layer = false;
  KILN_ASSIGN(auto writer, LayerWriter::Create(options, store));
  Source src;
  bool open_any = false;
  for (const auto& item : plan.items) {
    if (!open_any || src.layer != item.layer) {
      src = Source{};
      src.layer = item.layer;
      KILN_ASSIGN(src.blob, open(item.layer));
      KILN_ASSIGN(src.tar, NewDecompressor(*src.blob));
      src.reader = std::make_unique<TarReader>(*src.tar);
      open_any = true;
    }
    KILN_TRY(SeekTo(src, item.index));
    if (item.content && src.entry->size != item.header.size)
      return core::Fail(core::ErrorCode::kConflict, "layer " + std::to_string(item.layer) + " entry \"" +
                                                        src.entry->name + "\" changed since it was read");
    auto st = writer->Add(item.header, item.content ? &src.reader->content() : nullptr);
    if (!st) return std::unexpected(st.error().Wrap("writing the shrunk layer"));
  }
  return writer->Finish();
}

}  // namespace kiln::layers
