#include "layers/layer_writer.h"

#include <optional>

#include "core/cancel.h"
#include "core/media_types.h"
#include "layers/layer_pipeline.h"
#include "layers/tar_writer.h"
#include "layers/windows_layer.h"

namespace kiln::layers {
namespace {

TarTime Clamp(TarTime t, const std::optional<int64_t>& epoch) {
  if (epoch && (t.sec > *epoch || (t.sec == *epoch && t.nsec > 0))) return {*epoch, 0};
  return t;
}

void ClampAll(TarEntry& e, const std::optional<int64_t>& epoch) {
  e.mtime = Clamp(e.mtime, epoch);
  for (auto* t : {&e.atime, &e.ctime, &e.creation_time})
    if (*t) **t = Clamp(**t, epoch);
}

// FILETIME has 100 ns ticks: keep only what survives a round trip through Windows.
TarTime FileTimePrecision(TarTime t) { return {t.sec, t.nsec - t.nsec % 100}; }

uint32_t DefaultAttributes(const TarEntry& e) {
  switch (e.type) {
    case EntryType::kDirectory: return windows::kAttrDirectory;
    case EntryType::kSymlink: return windows::kAttrArchive | windows::kAttrReparsePoint;
    default: return windows::kAttrArchive;
  }
}

}  // namespace

class LayerWriter::Impl {
 public:
  Impl(const LayerOptions& o, std::unique_ptr<LayerPipeline> pipeline)
      : pipeline(std::move(pipeline)),
        tar(*this->pipeline, TarWriterOptions{o.flavor == LayerFlavor::kLinux}),
        rules(o.flavor, o.windows_base_layer) {}
  std::unique_ptr<LayerPipeline> pipeline;
  TarWriter tar;
  LayerRules rules;
  std::vector<Violation> found;
  bool finished = false;
  std::unique_ptr<LayerFileHook> hook;  // LayerOptions::file_hook
};

std::string LayerMediaType(const LayerOptions& o) {
  using namespace core::media;
  if (!o.docker_media_types) return std::string(OciLayerType(o.compression.kind));
  switch (o.compression.kind) {
    case Compression::kGzip: return std::string(kDockerLayerGzip);
    case Compression::kZstd: return std::string(kDockerLayerZstd);
    case Compression::kNone: break;
  }
  return std::string(kDockerLayer);
}

core::Result<std::unique_ptr<LayerWriter>> LayerWriter::Create(const LayerOptions& options,
                                                               std::unique_ptr<BlobWriter> out) {
  KILN_ASSIGN(auto pipeline, LayerPipeline::Start(options.compression, std::move(out)));
  auto w = std::unique_ptr<LayerWriter>(new LayerWriter(options));
  w->impl_ = std::make_unique<Impl>(options, std::move(pipeline));
  if (options.file_hook) w->impl_->hook = options.file_hook();
  return w;
}

core::Result<std::unique_ptr<LayerWriter>> LayerWriter::Create(const LayerOptions& options,
                                                               BlobStore& store) {
  KILN_ASSIGN(auto out, store.NewWriter());
  return Create(options, std::move(out));
}

LayerWriter::LayerWriter(const LayerOptions& options) : options_(options) {}
LayerWriter::~LayerWriter() = default;

TarEntry LayerWriter::Prepare(const TarEntry& in) const {
  TarEntry e = in;
  e.stored_name.clear();
  if (options_.flavor == LayerFlavor::kLinux) {
    e.mtime.nsec = 0;  // whole seconds, no atime/ctime: what docker and buildkit write
    e.atime.reset();
    e.ctime.reset();
    e.creation_time.reset();
  } else if (IsWhiteoutName(e.name)) {
    // Microsoft's exporter writes whiteouts with no PAX records at all (hcsshim
    // pkg/ociwclayer/export.go): whole-second mtime, no Windows records.
    e.mtime.nsec = 0;
    e.atime.reset();
    e.ctime.reset();
    e.creation_time.reset();
    e.win_attributes.reset();
    e.win_security_descriptor.clear();
  } else if (e.name.find(':') == std::string::npos) {
    if (e.type == EntryType::kSymlink)
      for (char& c : e.linkname)
        if (c == '/') c = '\\';
    e.mtime = FileTimePrecision(e.mtime);
    for (auto* t : {&e.atime, &e.ctime, &e.creation_time})
      *t = FileTimePrecision(t->value_or(e.mtime));
    if (!e.win_attributes) e.win_attributes = DefaultAttributes(e);
    if (e.type == EntryType::kSymlink) *e.win_attributes |= windows::kAttrReparsePoint;
    if (e.win_security_descriptor.empty() && e.type != EntryType::kHardLink &&
        !windows::WrittenWithoutDescriptor(e.name)) {
      bool dir = e.type == EntryType::kDirectory ||
                 (e.win_attributes && (*e.win_attributes & windows::kAttrDirectory));
      e.win_security_descriptor =
          options_.windows_acl == windows::Acl::kBuiltin
              ? (dir ? windows::BuiltinDirectoryDescriptor() : windows::BuiltinFileDescriptor())
              : windows::SecurityDescriptor(windows::Owner::kUsers);
    }
  }
  ClampAll(e, options_.source_date_epoch);
  return e;
}

core::Status LayerWriter::Write(const TarEntry& e, core::Reader* content, core::Digest* sha256) {
  impl_->found.clear();
  impl_->rules.Check(e, impl_->found);
  for (const auto& v : impl_->found)
    if (v.severity == Violation::Severity::kError)
      return core::Fail(core::ErrorCode::kInvalidInput, v.ToString());
  KILN_TRY(impl_->tar.WriteHeader(e));
  TarWriter& tar = impl_->tar;
  LayerFileHook* hook = impl_->hook.get();
  if (hook) hook->Begin(e);
  // One hash of the content serves the caller (cache keys) and the hook (SBOM) alike.
  std::optional<core::Hasher> hasher;
  if (e.is_file() && (sha256 || hook)) hasher.emplace();
  if (tar.remaining() > 0 && !content)
    return core::Fail(core::ErrorCode::kInternal, "no content given for file " + e.name);
  while (tar.remaining() > 0) {
    // One large file can take seconds: Ctrl-C is honoured per chunk, not only between entries.
    KILN_TRY(core::CheckCancelled());
    // Zero copy: the content lands straight in the pipeline's chunk.
    KILN_ASSIGN(std::span<char> space, impl_->pipeline->Space());
    size_t want = std::min<uint64_t>(space.size(), tar.remaining());
    KILN_ASSIGN(size_t n, content->Read(space.data(), want));
    if (n == 0)
      return core::Fail(core::ErrorCode::kIo, "\"" + e.name + "\" ended " +
                                                  std::to_string(tar.remaining()) +
                                                  " bytes short (did the file change while read?)");
    if (hasher) hasher->Update(space.data(), n);
    if (hook) hook->Data(space.data(), n);
    KILN_TRY(impl_->pipeline->Commit(n));
    KILN_TRY(tar.AccountData(n));
    if (meter_) meter_->Add(0, n);
  }
  if (meter_ && e.type == EntryType::kFile) meter_->Add(1, 0);
  std::optional<core::Digest> digest;
  if (hasher) digest = hasher->Finish();
  if (sha256 && digest) *sha256 = *digest;
  if (hook) hook->End(digest ? &*digest : nullptr);
  return {};
}

core::Status LayerWriter::WriteRoots() {
  roots_written_ = true;
  if (options_.flavor != LayerFlavor::kWindows || !options_.emit_windows_roots) return {};
  TarEntry root;
  root.type = EntryType::kDirectory;
  root.mode = 0755;
  root.mtime = {options_.source_date_epoch.value_or(0), 0};
  for (std::string_view name : {windows::kFiles, windows::kHives}) {
    if (name == windows::kHives && options_.windows_base_layer) continue;
    root.name = std::string(name);
    KILN_TRY(Write(Prepare(root), nullptr, nullptr));
  }
  return {};
}

core::Status LayerWriter::Add(const TarEntry& entry, core::Reader* content) {
  return AddEntry(entry, content, nullptr);
}

core::Status LayerWriter::AddHashed(const TarEntry& entry, core::Reader* content,
                                    core::Digest& sha256) {
  return AddEntry(entry, content, &sha256);
}

core::Status LayerWriter::AddEntry(const TarEntry& entry, core::Reader* content,
                                   core::Digest* sha256) {
  if (impl_->finished) return core::Fail(core::ErrorCode::kInternal, "layer already finished");
  KILN_TRY(core::CheckCancelled());
  if (!roots_written_) KILN_TRY(WriteRoots());
  if (options_.flavor == LayerFlavor::kWindows && options_.emit_windows_roots &&
      (entry.name == windows::kFiles || entry.name == windows::kHives))
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "\"" + entry.name + "\" is written by the layer writer itself");
  auto s = Write(Prepare(entry), content, sha256);
  if (!s) return core::Fail(s.error().Wrap("writing layer entry \"" + entry.name + "\""));
  return {};
}

void LayerWriter::FromTree() {
  if (impl_->hook) impl_->hook->FromTree();
}

core::Result<LayerResult> LayerWriter::Finish() {
  if (impl_->finished) return core::Fail(core::ErrorCode::kInternal, "layer already finished");
  impl_->finished = true;
  KILN_TRY(core::CheckCancelled());
  if (!roots_written_) KILN_TRY(WriteRoots());
  impl_->found.clear();
  impl_->rules.Finish(impl_->found);
  for (const auto& v : impl_->found)
    if (v.severity == Violation::Severity::kError)
      return core::Fail(core::ErrorCode::kInvalidInput, v.ToString());
  KILN_TRY(impl_->tar.Finish());
  KILN_ASSIGN(auto r, impl_->pipeline->Finish(LayerMediaType(options_)));
  if (impl_->hook) impl_->hook->Finish(r.diff_id);
  return LayerResult{r.blob, r.diff_id, r.tar_size, impl_->rules.entries()};
}

}  // namespace kiln::layers
