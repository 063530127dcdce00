// A BlobSource that checks the bytes it hands out against the descriptor being pushed, while
// they stream: the read that would deliver the blob's last byte fails instead when the size or
// digest differs, so the request carrying it is aborted and the registry never completes an
// upload of bytes that do not match their digest (a corrupt local store is reported as such,
// not as the registry's DIGEST_INVALID).
#pragma once

#include <memory>
#include <optional>

#include "core/digest.h"
#include "core/image.h"
#include "registry/blob_source.h"

namespace kiln::registry {

class VerifyingBlobSource : public BlobSource {
 public:
  VerifyingBlobSource(BlobSource& inner, core::Descriptor desc)
      : inner_(inner), desc_(std::move(desc)) {}
  // Opens the inner source at `offset`. A resume that does not continue where the last reader
  // stopped re-hashes bytes [0, offset) first (a local file: cheap). Readers fail with kIo
  // naming Describe() when the bytes are not the descriptor's.
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;
  std::string Describe() const override { return inner_.Describe(); }

 private:
  class Reader;
  core::Status Account(const void* data, size_t n);

  BlobSource& inner_;
  core::Descriptor desc_;
  std::optional<core::Hasher> hasher_;
  uint64_t hashed_ = 0;  // bytes [0, hashed_) went through hasher_
};

}  // namespace kiln::registry
