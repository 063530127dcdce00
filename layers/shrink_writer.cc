#include "layers/shrink_writer.h"

#include <unordered_map>

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
  // Names of the items that dedupe hard links point at (written before the links).
  std::unordered_map<uint32_t, std::string> link_names;
  for (const auto& item : plan.items)
    if (item.link_to != PlanItem::kNoLink) link_names.emplace(item.link_to, std::string());
  Source src;
  bool open_any = false;
  TarEntry header;
  for (size_t n = 0; n < plan.items.size(); ++n) {
    const PlanItem& item = plan.items[n];
    if (!open_any || src.layer != item.layer) {
      src = Source{};
      src.layer = item.layer;
      KILN_ASSIGN(src.blob, open(item.layer));
      KILN_ASSIGN(src.tar, NewDecompressor(*src.blob));
      src.reader = std::make_unique<TarReader>(*src.tar);
      open_any = true;
    }
    KILN_TRY(SeekTo(src, item.index));
    if (!item.header && item.link_to == PlanItem::kNoLink && src.entry->size != item.size)
      return core::Fail(core::ErrorCode::kConflict, "layer " + std::to_string(item.layer) + " entry \"" +
                                                        src.entry->name + "\" changed since it was read");
    header = item.header ? *item.header : *src.entry;
    if (item.link_to != PlanItem::kNoLink) {
      auto target = link_names.find(item.link_to);
      if (target == link_names.end() || target->second.empty())
        return core::Fail(core::ErrorCode::kInternal, "shrink plan links to an entry not written yet");
      header.type = EntryType::kHardLink;
      header.linkname = target->second;
      header.size = 0;
      header.win_security_descriptor.clear();  // hard links carry no descriptor (hcs)
    }
    if (auto it = link_names.find(static_cast<uint32_t>(n)); it != link_names.end()) it->second = header.name;
    auto st = writer->Add(header, item.content ? &src.reader->content() : nullptr);
    if (!st) return std::unexpected(st.error().Wrap("writing the shrunk layer"));
  }
  return writer->Finish();
}

}  // namespace kiln::layers
