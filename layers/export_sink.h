// Where `kiln save` puts files: a directory (files written atomically, blobs verified) or a
// tar archive (deterministic entries, the archive renamed into place when complete).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/image.h"
#include "core/io.h"

namespace kiln::layers {

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  // Copies `size` bytes of a blob (fails when they do not hash to `digest`).
  virtual core::Status AddBlob(const std::string& path, const core::Digest& digest, uint64_t size,
                               core::Reader& content) = 0;
  // Puts the blob at `path` from `source`, a complete blob file of the store, without copying
  // when the file system allows: a reflink (copy-on-write clone), else a hard link (then the
  // output shares the store's inode; see docs/security.md). False when neither works (another
  // file system, a tar output): the caller copies with AddBlob.
  virtual core::Result<bool> LinkBlob(const std::string& path, uint64_t size,
                                      const std::string& source) {
    (void)path, (void)size, (void)source;
    return false;
  }
  virtual core::Status AddBytes(const std::string& path, std::string_view data) = 0;
  // The manifests of an index.json already at the destination (directory outputs), to merge.
  virtual core::Result<std::vector<core::Descriptor>> ExistingIndex() = 0;
  virtual core::Status Finish() = 0;
};

core::Result<std::unique_ptr<ExportSink>> NewDirExportSink(const std::string& dir);
core::Result<std::unique_ptr<ExportSink>> NewTarExportSink(const std::string& file, int64_t mtime);

}  // namespace kiln::layers
