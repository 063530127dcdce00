// BlobSources over a file on disk (an OCI layout blob, a test file) and over bytes in memory.
#pragma once

#include <string>

#include "registry/blob_source.h"

namespace kiln::registry {

class FileBlobSource : public BlobSource {
 public:
  explicit FileBlobSource(std::string path) : path_(std::move(path)) {}
  // Fails with kIo when the file cannot be opened or positioned.
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;

 private:
  std::string path_;
};

class MemoryBlobSource : public BlobSource {
 public:
  explicit MemoryBlobSource(std::string bytes) : bytes_(std::move(bytes)) {}
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;

 private:
  std::string bytes_;
};

}  // namespace kiln::registry
