// The BlobStore seam (ARCHITECTURE "Seams"): content-addressed blobs by digest. The local OCI
// layout (layers/store.h) implements it; builder/ adds a registry-backed one. Registry pulls
// stream into a BlobWriter, pushes read through Open.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/digest.h"
#include "core/error.h"
#include "core/image.h"
#include "core/io.h"

namespace kiln::layers {

// A blob being written. Write the bytes, then Commit; destroying it without Commit (an error,
// Ctrl-C) leaves nothing behind under any digest.
class BlobWriter : public core::Writer {
 public:
  // Makes the blob durable under its sha256 and returns its descriptor (media type as given).
  // With `expected`, fails with kConflict and discards the bytes when the digest differs.
  virtual core::Result<core::Descriptor> Commit(std::string_view media_type,
                                                const core::Digest* expected = nullptr) = 0;
  // Bytes written so far.
  virtual uint64_t size() const = 0;
  core::Status Close() override { return {}; }
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Whether the blob's bytes are here (not merely known).
  virtual bool Has(const core::Digest& digest) = 0;
  // Size in bytes of a blob that is here; kNotFound otherwise.
  virtual core::Result<uint64_t> Size(const core::Digest& digest) = 0;
  // Streams a blob; the reader fails with kConflict at its end when the bytes do not hash to
  // `digest` (corruption on disk). kNotFound when absent.
  virtual core::Result<std::unique_ptr<core::Reader>> Open(const core::Digest& digest) = 0;
  // A writer for a new blob.
  virtual core::Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // Copies `content` into a new blob (see BlobWriter::Commit for `expected`).
  virtual core::Result<core::Descriptor> Put(core::Reader& content, std::string_view media_type,
                                             const core::Digest* expected = nullptr);
};

// Configs, manifests and indexes are read whole, up to this size (registries cap manifests
// lower still: docker-registry at 4 MiB).
inline constexpr size_t kMaxSmallBlobBytes = size_t{16} << 20;

// Reads a whole (small) blob: configs, manifests, indexes. Fails past `limit` bytes.
core::Result<std::string> ReadBlob(BlobStore& store, const core::Digest& digest,
                                   size_t limit = kMaxSmallBlobBytes);
// Stores a small in-memory blob. Refuses (kInvalidInput, nothing written) one larger than
// kMaxSmallBlobBytes: kiln could not read it back.
core::Result<core::Descriptor> PutBlob(BlobStore& store, std::string_view bytes,
                                       std::string_view media_type);

// A BlobWriter into a plain file (`kiln layer create -o FILE`): written to "<path>.tmp-XXXXXX",
// fsynced and renamed over `path` on Commit.
core::Result<std::unique_ptr<BlobWriter>> NewFileBlobWriter(const std::string& path);

}  // namespace kiln::layers
