// Content digests ("sha256:<hex>") and a streaming hasher (OpenSSL EVP: uses SHA-NI where present).
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::core {

// An OCI content digest. Algorithms: sha256 (what kiln writes) and sha512 (accepted when read).
class Digest {
 public:
  Digest() = default;
  // Parses "sha256:<64 lower-case hex>" or "sha512:<128 hex>"; fails with kInvalidInput otherwise.
  static Result<Digest> Parse(std::string_view text);
  // sha256 of `data` in one call.
  static Digest Sha256Of(std::string_view data);

  bool empty() const { return hex_.empty(); }
  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string ToString() const { return empty() ? std::string() : algorithm_ + ":" + hex_; }
  // First 12 hex digits, as docker shows image ids.
  std::string Short() const { return hex_.substr(0, 12); }

  auto operator<=>(const Digest&) const = default;

 private:
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  friend class Hasher;
  std::string algorithm_ = "sha256";
  std::string hex_;
};

// Incremental hash; one instance per stream, not thread-safe.
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm = "sha256");
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Bytes hashed so far.
  uint64_t size() const { return size_; }
  // Finishes the hash; the Hasher must not be updated afterwards.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string algorithm_;
  uint64_t size_ = 0;
};

// A sha256 kept as 32 raw bytes (the context memo, the COPY plan, layer catalogs), from and to
// its 64 lowercase hex digits. Sha256FromHex fails on anything else.
bool Sha256FromHex(std::string_view hex, unsigned char* out);
void AppendSha256Hex(const unsigned char* bytes, std::string& out);

}  // namespace kiln::core

template <>
struct std::hash<kiln::core::Digest> {
  size_t operator()(const kiln::core::Digest& d) const noexcept {
    return std::hash<std::string>()(d.hex());
  }
};
