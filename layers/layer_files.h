// LayerFiles: the file list of one layer as the SBOM needs it — every entry with its type,
// size, link and (regular files) sha256 — plus the packages recognised in it. Recorded while
// the layer is written (LayerFilesRecorder, a LayerFileHook) or, for a layer written earlier,
// by reading its blob once (RecordLayerBlob).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"
#include "layers/layer_file_hook.h"
#include "layers/package_files.h"

namespace kiln::layers {

struct LayerFile {
  std::string name;  // the tar entry name ("Files/app/x" in Windows layers)
  EntryType type = EntryType::kFile;
  uint64_t size = 0;
  std::string sha256;  // hex, regular files only
  std::string link;    // symlink target or hard-link target name
};

struct LayerFiles {
  core::Digest diff_id;
  std::vector<LayerFile> entries;  // in tar order
  std::vector<FoundPackage> packages;
  // Recorded while a LayerTree wrote the layer (LayerFileHook::FromTree): names unique by the
  // flavour's key, none under a non-directory. Not serialized: a record read back is checked.
  bool from_tree = false;

  // Compact JSON (the store's sidecar, <cache>/layer-files/<diff_id hex>.json).
  std::string Serialize() const;
  static core::Result<LayerFiles> Parse(std::string_view json);
};

class LayerFilesRecorder : public LayerFileHook {
 public:
  // `done` receives the record when the layer is committed.
  explicit LayerFilesRecorder(std::function<void(LayerFiles&&)> done) : done_(std::move(done)) {}
  void Begin(const TarEntry& entry) override;
  void Data(const char* data, size_t size) override;
  void End(const core::Digest* sha256) override;
  void Finish(const core::Digest& diff_id) override;
  void FromTree() override { files_.from_tree = true; }

 private:
  std::function<void(LayerFiles&&)> done_;
  LayerFiles files_;
  bool capture_ = false;  // a package manifest: its bytes are kept for ParsePackages
  std::string captured_;
};

// The record of an existing layer blob (gzip, zstd or plain), read once.
core::Result<LayerFiles> RecordLayerBlob(core::Reader& blob);

}  // namespace kiln::layers
