// Reads a transport folder written by vmcompute ExportLayer and streams it as Windows layer tar
// entries with all PAX metadata (hcsshim legacyLayerReader + go-winio WriteTarFileFromBackupStream,
// windows-layer-format.md 1.3-1.8): lexical walk; Files/ entries decoded from their attribute
// word and backup stream (rawsd, EAs, reparse points -> symlinks/junctions, data, sparse data
// made dense, alternate streams as "<file>:<stream>" entries); directories from their
// "<dir>.$wcidirs$" file; Hives/ files as they are; tombstones.txt as ".wh." entries right after
// their directory; hard links for files seen before under another name.
#pragma once

#include <filesystem>

#include "layers/snapshotter.h"
#include "layers/windows/layer_fs.h"

namespace kiln::layers::windows {

class TransportReader {
 public:
  TransportReader(LayerFs& fs, std::filesystem::path root) : fs_(fs), root_(std::move(root)) {}
  // Streams every entry into `sink`. Fails on malformed backup streams, unsupported reparse
  // points, sparse alternate streams, and whatever the sink refuses.
  core::Status Run(DiffSink& sink);

 private:
  LayerFs& fs_;
  std::filesystem::path root_;
};

}  // namespace kiln::layers::windows
