#include "core/digest.h"

#include <openssl/evp.h>

#include <cassert>

namespace kiln::core {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string ToHex(const unsigned char* bytes, unsigned size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return Fail(ErrorCode::kInvalidInput, "invalid digest \"" + std::string(text) +
                                              "\": expected algorithm:hex");
  std::string_view algorithm = text.substr(0, colon), hex = text.substr(colon + 1);
  size_t want = algorithm == "sha256" ? 64 : algorithm == "sha512" ? 128 : 0;
  if (want == 0)
    return Fail(ErrorCode::kInvalidInput,
                "unsupported digest algorithm \"" + std::string(algorithm) + "\"");
  if (hex.size() != want || !IsLowerHex(hex))
    return Fail(ErrorCode::kInvalidInput, "invalid digest \"" + std::string(text) + "\"");
  return Digest(std::string(algorithm), std::string(hex));
}

Digest Digest::Sha256Of(std::string_view data) {
  Hasher h;
  h.Update(data);
  return h.Finish();
}

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

namespace {

// The digest implementations, fetched once: EVP_sha256() makes every EVP_DigestInit_ex look the
// implementation up again (OpenSSL 3), which cost more than hashing a small file.
const EVP_MD* Md(std::string_view algorithm) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* const sha256 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md ? md : EVP_sha256();
  }();
  static const EVP_MD* const sha512 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    return md ? md : EVP_sha512();
  }();
  return algorithm == "sha512" ? sha512 : sha256;
#else
  return algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
#endif
}

}  // namespace

Hasher::Hasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()), algorithm_(algorithm) {
  const EVP_MD* md = Md(algorithm);
  assert(algorithm == "sha256" || algorithm == "sha512");
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, md, nullptr);
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::Update(const void* data, size_t size) {
  EVP_DigestUpdate(impl_->ctx, data, size);
  size_ += size;
}

Digest Hasher::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(impl_->ctx, out, &len);
  return Digest(algorithm_, ToHex(out, len));
}

bool Sha256FromHex(std::string_view hex, unsigned char* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

void AppendSha256Hex(const unsigned char* bytes, std::string& out) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
}

}  // namespace kiln::core
