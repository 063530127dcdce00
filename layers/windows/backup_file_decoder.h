// Decodes the backup stream of one file (after the transport folder's attribute word) into a tar
// entry with its Windows metadata, and streams the entry and its alternate data streams into a
// DiffSink (go-winio WriteTarFileFromBackupStream, two-pass: metadata first, then data).
// Platform-neutral.
#pragma once

#include <optional>
#include <vector>

#include "layers/snapshotter.h"
#include "layers/windows/backup_stream.h"

namespace kiln::layers::windows {

struct DecodedBackupFile {
  TarEntry entry;  // rawsd, EAs, symlink target/junction flag and size filled in
  std::optional<BackupStreamRecord> data;
  std::vector<BackupStreamRecord> sparse_blocks;      // when the data is sparse
  std::vector<BackupStreamRecord> alternate_streams;  // in stream order
};

// `entry` arrives with name, times, attributes and kFile/kDirectory type set from the file's
// basic info; the streams at [start, end of source) complete it. A reparse stream makes it a
// symlink; sparse data gets the size from the terminating sparse block (go-winio's legacy reader
// would write such files as empty). Fails on malformed streams, unsupported reparse tags and
// sparse alternate streams.
core::Result<DecodedBackupFile> DecodeBackupFile(RandomAccess& source, uint64_t start,
                                                 TarEntry entry);

// Adds the entry (content from the data stream; sparse data made dense) and then one regular
// entry "<name>:<stream>" per alternate data stream, carrying the file's mode and times only.
core::Status EmitBackupFile(RandomAccess& source, const DecodedBackupFile& file, DiffSink& sink);

}  // namespace kiln::layers::windows
