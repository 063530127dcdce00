// Export of local images (`kiln save`): an OCI image layout, or a docker-archive that `docker
// load` takes (OCI layout plus manifest.json, as docker 25+ writes it), as a directory or a tar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "layers/store.h"

namespace kiln::layers {

enum class ExportFormat { kOci, kDocker };

core::Result<ExportFormat> ParseExportFormat(std::string_view name);

struct SaveOptions {
  ExportFormat format = ExportFormat::kOci;
  // A directory (created when missing; an existing OCI layout is added to), or a tar file
  // when the path ends in ".tar" or is an existing regular file.
  std::string output;
  // Time of the tar's entries (0 when unset), so equal images give equal archives.
  std::optional<int64_t> source_date_epoch;
};

struct SaveReport {
  uint64_t blobs = 0;
  uint64_t bytes = 0;
};

// Writes the named images with every blob they need. Into a directory, blobs are reflinked or
// hard-linked from the store where the file system allows (not re-hashed: the store verified
// them when written), else copied and verified as they are copied.
// Fails with kNotFound, before writing anything, when a blob is known but not local (a base
// layer never downloaded), naming it and where it can be fetched from. The tar is written
// temp + rename: a failure leaves no partial archive.
core::Result<SaveReport> SaveImages(Store& store, const std::vector<std::string>& names,
                                    const SaveOptions& options);

}  // namespace kiln::layers
