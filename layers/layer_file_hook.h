// LayerFileHook: a narrow per-entry observer of a LayerWriter, for callers that want to know
// every entry and file byte of a layer while it is written (the SBOM's file list and sha256),
// without a second read of the layer. The writer calls Begin/Data/End for every entry it writes
// (Data only for regular files, with the bytes as they go into the tar) and Finish once with
// the layer's identity after the blob is committed. The writer hashes each regular file's
// content once, for its caller and its hook together: End receives that sha256.
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
  // `sha256`: the content digest of a regular file (computed once by the writer); null for
  // every other entry type.
  virtual void End(const core::Digest* sha256) = 0;
  // The layer is committed: its uncompressed digest (diff_id).
  virtual void Finish(const core::Digest& diff_id) = 0;
  // Called before its entries when a LayerTree writes the layer (LayerTree::WriteTo): its names
  // are unique by the flavour's key and none lies under a non-directory.
  virtual void FromTree() {}
};

}  // namespace kiln::layers
