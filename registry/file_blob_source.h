// BlobSources over a file on disk (an OCI layout blob, a test file) and over bytes in memory.
#pragma once

#include <string>

#include "registry/blob_source.h"

namespace kiln::registry {

class FileBlobSource : public BlobSource {
 public:
  // `owner` names what holds the file in messages ("the local store"); "" = the file itself.
  explicit FileBlobSource(std::string path, std::string owner = "")
      : path_(std::move(path)), owner_(std::move(owner)) {}
  // Fails with kIo when the file cannot be opened or positioned.
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;
  std::string Describe() const override {
    return owner_.empty() ? "the file " + path_ : owner_ + " (" + path_ + ")";
  }

 private:
  std::string path_, owner_;
};

class MemoryBlobSource : public BlobSource {
 public:
  explicit MemoryBlobSource(std::string bytes) : bytes_(std::move(bytes)) {}
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;
  std::string Describe() const override { return "the bytes in memory"; }

 private:
  std::string bytes_;
};

}  // namespace kiln::registry
