// FileBlobWriter: the BlobWriter that writes a temp file next to its destination, hashes as it
// goes, and on Commit fsyncs and renames it into place. The store and `-o FILE` outputs use it.
#pragma once

#include <string>

#include "core/digest.h"
#include "layers/blob_store.h"

namespace kiln::layers {

class FileBlobWriter : public BlobWriter {
 public:
  // Creates `temp_template` (mkstemp-style, ending in XXXXXX); Commit renames it to
  // dest(base, digest). A crash leaves only the temp file (removed by `kiln prune`).
  using DestFn = std::string (*)(const std::string& base, const core::Digest& digest);
  static core::Result<std::unique_ptr<FileBlobWriter>> Create(std::string temp_template,
                                                              std::string base, DestFn dest);
  ~FileBlobWriter() override;

  core::Status Write(const void* data, size_t size) override;
  using core::Writer::Write;
  core::Result<core::Descriptor> Commit(std::string_view media_type,
                                        const core::Digest* expected) override;
  uint64_t size() const override { return hasher_.size(); }

 private:
  FileBlobWriter(int fd, std::string temp, std::string base, DestFn dest);
  core::Status Flush();
  int fd_;
  std::string temp_, base_;
  DestFn dest_;
  core::Hasher hasher_;
  std::string buf_;
  bool committed_ = false;
};

// fsync of a directory (after a rename into it); errors are kIo.
core::Status SyncDirectory(const std::string& dir);

}  // namespace kiln::layers
