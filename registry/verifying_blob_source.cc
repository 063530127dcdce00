#include "registry/verifying_blob_source.h"

#include <vector>

namespace kiln::registry {

using core::ErrorCode;
using core::Fail;

class VerifyingBlobSource::Reader : public core::Reader {
 public:
  Reader(VerifyingBlobSource& owner, std::unique_ptr<core::Reader> inner)
      : owner_(owner), inner_(std::move(inner)) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, inner_->Read(buffer, size));
    KILN_TRY(owner_.Account(buffer, n));
    return n;
  }

 private:
  VerifyingBlobSource& owner_;
  std::unique_ptr<core::Reader> inner_;
};

core::Status VerifyingBlobSource::Account(const void* data, size_t n) {
  uint64_t size = static_cast<uint64_t>(desc_.size);
  if (n == 0) return {};
  if (hashed_ + n > size)
    return Fail(ErrorCode::kIo, Describe() + " is corrupt: blob " + desc_.digest.ToString() +
                                    " holds more than its " + std::to_string(size) +
                                    " bytes; the upload was not completed");
  hasher_->Update(data, n);
  hashed_ += n;
  if (hashed_ < size) return {};
  core::Digest got = hasher_->Finish();
  hasher_.reset();
  if (got != desc_.digest)
    return Fail(ErrorCode::kIo, Describe() + " is corrupt: blob " + desc_.digest.ToString() +
                                    " hashes to " + got.ToString() +
                                    "; the upload was not completed (remove the image and "
                                    "build or pull it again)");
  return {};
}

core::Result<std::unique_ptr<core::Reader>> VerifyingBlobSource::Open(uint64_t offset) {
  if (!hasher_ || offset != hashed_) {
    // A fresh start, or a resume somewhere else: hash [0, offset) again from the start.
    hasher_.emplace(desc_.digest.algorithm());
    hashed_ = 0;
    if (offset > 0) {
      KILN_ASSIGN(auto prefix, inner_.Open(0));
      std::vector<char> buf(1 << 20);
      while (hashed_ < offset) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), offset - hashed_));
        KILN_ASSIGN(size_t n, prefix->Read(buf.data(), want));
        if (n == 0)
          return Fail(ErrorCode::kIo, Describe() + " is corrupt: blob " +
                                          desc_.digest.ToString() + " ends after " +
                                          std::to_string(hashed_) + " bytes");
        KILN_TRY(Account(buf.data(), n));
      }
    }
  }
  KILN_ASSIGN(auto reader, inner_.Open(offset));
  return std::unique_ptr<core::Reader>(std::make_unique<Reader>(*this, std::move(reader)));
}

}  // namespace kiln::registry
