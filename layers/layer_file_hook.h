// LayerFileHook: a narrow per-entry observer of a LayerWriter, for callers that want to know
// every entry and file byte of a layer while it is written (the SBOM's file list and sha256),
// without a second read of the layer. The writer calls Begin/Data/End for every entry it writes
// (Data only for regular files, with the bytes as they go into the tar) and Finish once with
// the layer's identity after the blob is committed.
#pragma once

#include <cstddef>

#include "core/digest.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

class LayerFileHook {
 public:
  virtual ~LayerFileHook() = default;
  // `entry` is the header as written (name, type, size, link).
  virtual void Begin(const TarEntry& entry) = 0;
  virtual void Data(const char* data, size_t size) = 0;
  virtual void End() = 0;
  // The layer is committed: its uncompressed digest (diff_id).
  virtual void Finish(const core::Digest& diff_id) = 0;
};

}  // namespace kiln::layers
