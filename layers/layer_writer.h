// LayerWriter (ARCHITECTURE "Seams"): turns entries into a layer blob in one streaming pass —
// tar (ours) -> diff_id -> gzip/zstd -> digest -> blob store — in the Linux or Windows flavour.
// Stream mode: entries arrive already in order (a snapshotter's diff, a shrink pass) and are
// validated as they come (layers/layer_rules.h). For the builder's COPY use LayerTree
// (layers/layer_tree.h), which sorts, adds parents and clamps times, then feeds a LayerWriter.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/image.h"
#include "core/progress.h"
#include "layers/blob_store.h"
#include "layers/compression.h"
#include "layers/layer_file_hook.h"
#include "layers/layer_flavor.h"
#include "layers/layer_rules.h"
#include "layers/snapshotter.h"
#include "layers/tar_entry.h"
#include "layers/windows_layer.h"

namespace kiln::layers {

struct LayerOptions {
  LayerFlavor flavor = LayerFlavor::kLinux;
  CompressionOptions compression;
  // Every time later than this (SOURCE_DATE_EPOCH) is written as this; also the time of
  // entries kiln synthesises. Without it synthesised entries get time 0.
  std::optional<int64_t> source_date_epoch;
  // Windows: a layer without parents (no whiteouts; no Hives entry).
  bool windows_base_layer = false;
  // Windows: the writer emits the "Files" and (non-base) "Hives" directory entries itself,
  // before the first entry; callers then must not pass them. Off for callers that re-write a
  // whole existing layer (they pass their own).
  bool emit_windows_roots = true;
  // Docker media types (…rootfs.diff.tar.gzip) instead of OCI ones.
  bool docker_media_types = false;
  // Windows: the security descriptors of files and directories under Files/ that come without
  // one (windows::Acl). With kBuiltin, EntryMeta::windows_owner is ignored (BuildKit's owner is
  // always BUILTIN\Administrators).
  windows::Acl windows_acl = windows::Acl::kUsers;
  // Makes an observer of every entry and file byte written (layers/layer_file_hook.h); one per
  // writer. Unset = none (no cost).
  std::function<std::unique_ptr<LayerFileHook>()> file_hook;
};

struct LayerResult {
  core::Descriptor blob;     // compressed blob: digest, size, media type
  core::Digest diff_id;      // sha256 of the uncompressed tar
  uint64_t tar_size = 0;     // uncompressed size
  uint64_t entries = 0;
};

// The layer media type for the options (OCI or Docker, by compression).
std::string LayerMediaType(const LayerOptions& options);

class LayerWriter : public DiffSink {
 public:
  // A writer into `out`; the blob is committed by Finish. Fails on invalid compression levels.
  static core::Result<std::unique_ptr<LayerWriter>> Create(const LayerOptions& options,
                                                           std::unique_ptr<BlobWriter> out);
  // A writer into a new blob of `store`.
  static core::Result<std::unique_ptr<LayerWriter>> Create(const LayerOptions& options,
                                                           BlobStore& store);
  ~LayerWriter() override;

  // Appends one entry (stream mode). Fills what the flavour needs and the caller left out
  // (Windows: fileattr, rawsd by LayerOptions::windows_acl except where Microsoft writes none
  // (windows::WrittenWithoutDescriptor), creation/access/change times = mtime; whiteouts get
  // no PAX records at all; Linux: whole-second mtime, no atime/ctime), clamps times, then checks the layer rules and fails
  // with kInvalidInput naming the entry and the rule it breaks (nothing of it is written).
  // Regular files read entry.size bytes from `content`.
  core::Status Add(const TarEntry& entry, core::Reader* content) override;
  // Add, and the sha256 of a regular file's content into `sha256` (read once: the same hash
  // feeds the file hook).
  core::Status AddHashed(const TarEntry& entry, core::Reader* content, core::Digest& sha256);

  // Ends the tar, waits for compression and commits the blob. The writer is spent afterwards.
  core::Result<LayerResult> Finish();

  const LayerOptions& options() const { return options_; }
  // Counts regular files and content bytes into `meter` as they are written (null: none).
  void SetMeter(core::ProgressMeter* meter) { meter_ = meter; }
  // Tells the file hook that a LayerTree writes this layer (LayerFileHook::FromTree).
  void FromTree();

 private:
  class Impl;
  explicit LayerWriter(const LayerOptions& options);
  core::Status WriteRoots();
  core::Status AddEntry(const TarEntry& entry, core::Reader* content, core::Digest* sha256);
  core::Status Write(const TarEntry& entry, core::Reader* content, core::Digest* sha256);
  TarEntry Prepare(const TarEntry& in) const;

  LayerOptions options_;
  std::unique_ptr<Impl> impl_;
  bool roots_written_ = false;
  core::ProgressMeter* meter_ = nullptr;
};

}  // namespace kiln::layers
