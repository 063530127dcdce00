// The decompressing readers behind NewDecompressor: ISA-L inflate for gzip (multi-member),
// zstd streaming, and a pass-through; all share the output limit against bombs.
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "layers/compression.h"

namespace kiln::layers {
namespace {

constexpr size_t kInChunk = 256 * 1024;

std::unexpected<core::Error> Bad(std::string message) {
  return core::Fail(core::ErrorCode::kInvalidInput, std::move(message));
}

// Input with a pushed-back head (the sniffed bytes) and a refillable buffer.
class Source {
 public:
  Source(core::Reader& in, std::string head) : in_(in), buf_(new uint8_t[kInChunk]) {
    std::memcpy(buf_.get(), head.data(), head.size());
    len_ = head.size();
  }
  // Refills when empty; returns false at end of input.
  core::Result<bool> Fill() {
    if (pos_ < len_) return true;
    if (eof_) return false;
    KILN_ASSIGN(len_, in_.Read(buf_.get(), kInChunk));
    pos_ = 0;
    if (len_ == 0) eof_ = true;
    return len_ > 0;
  }
  uint8_t* data() { return buf_.get() + pos_; }
  size_t size() const { return len_ - pos_; }
  void Consume(size_t n) { pos_ += n; }

 private:
  core::Reader& in_;
  std::unique_ptr<uint8_t[]> buf_;  // not zero-filled: only bytes read are used
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
};

class Limited : public core::Reader {
 public:
  Limited(uint64_t max, const char* format) : max_(max), format_(format) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, ReadSome(static_cast<uint8_t*>(buffer), size));
    total_ += n;
    if (max_ && total_ > max_)
      return Bad(std::string(format_) + " data exceeds the limit of " + std::to_string(max_) +
                 " bytes (decompression bomb?)");
    return n;
  }

 protected:
  virtual core::Result<size_t> ReadSome(uint8_t* out, size_t size) = 0;

 private:
  uint64_t max_, total_ = 0;
  const char* format_;
};

class Plain : public Limited {
 public:
  Plain(core::Reader& in, std::string head, uint64_t max) : Limited(max, "tar"), src_(in, head) {}
  core::Result<size_t> ReadSome(uint8_t* out, size_t size) override {
    KILN_ASSIGN(bool more, src_.Fill());
    if (!more) return 0;
    size_t n = std::min(size, src_.size());
    std::memcpy(out, src_.data(), n);
    src_.Consume(n);
    return n;
  }

 private:
  Source src_;
};

class Gunzip : public Limited {
 public:
  Gunzip(core::Reader& in, std::string head, uint64_t max)
      : Limited(max, "decompressed gzip"), src_(in, head) {
    isal_inflate_init(&s_);
    s_.crc_flag = ISAL_GZIP;
  }
  core::Result<size_t> ReadSome(uint8_t* out, size_t size) override {
    size = std::min<size_t>(size, UINT32_MAX);
    for (;;) {
      if (s_.block_state == ISAL_BLOCK_FINISH) {
        // End of one member: another may follow (pigz, concatenated streams).
        KILN_ASSIGN(bool more, src_.Fill());
        if (!more) return 0;
        if (src_.size() >= 2 && (src_.data()[0] != 0x1f || src_.data()[1] != 0x8b))
          return Bad("corrupt gzip stream: trailing data after the last member");
        isal_inflate_reset(&s_);
        s_.crc_flag = ISAL_GZIP;
      }
      KILN_ASSIGN(bool more, src_.Fill());
      if (!more) return Bad("truncated gzip stream");
      s_.next_in = src_.data();
      s_.avail_in = static_cast<uint32_t>(src_.size());
      s_.next_out = out;
      s_.avail_out = static_cast<uint32_t>(size);
      int rc = isal_inflate(&s_);
      src_.Consume(src_.size() - s_.avail_in);
      if (rc < 0) return Bad("corrupt gzip stream (igzip error " + std::to_string(rc) + ")");
      size_t n = size - s_.avail_out;
      if (n > 0) return n;
    }
  }

 private:
  Source src_;
  inflate_state s_{};
};

class Unzstd : public Limited {
 public:
  Unzstd(core::Reader& in, std::string head, uint64_t max)
      : Limited(max, "decompressed zstd"), src_(in, head), ctx_(ZSTD_createDCtx()) {}
  ~Unzstd() override { ZSTD_freeDCtx(ctx_); }
  core::Result<size_t> ReadSome(uint8_t* out, size_t size) override {
    for (;;) {
      KILN_ASSIGN(bool more, src_.Fill());
      if (!more) {
        if (last_ != 0) return Bad("truncated zstd stream");
        return 0;
      }
      ZSTD_inBuffer in{src_.data(), src_.size(), 0};
      ZSTD_outBuffer o{out, size, 0};
      last_ = ZSTD_decompressStream(ctx_, &o, &in);
      src_.Consume(in.pos);
      if (ZSTD_isError(last_))
        return Bad(std::string("corrupt zstd stream: ") + ZSTD_getErrorName(last_));
      if (o.pos > 0) return o.pos;
    }
  }

 private:
  Source src_;
  ZSTD_DCtx* ctx_;
  size_t last_ = 0;
};

}  // namespace

core::Result<Compression> SniffCompression(std::string_view h) {
  auto at = [&](size_t i) { return i < h.size() ? static_cast<unsigned char>(h[i]) : 0u; };
  if (at(0) == 0x1f && at(1) == 0x8b) return Compression::kGzip;
  if (at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd) return Compression::kZstd;
  if ((at(0) & 0xf0) == 0x50 && at(1) == 0x2a && at(2) == 0x4d && at(3) == 0x18)
    return Compression::kZstd;  // skippable frame 0x184D2A5?
  if (h.starts_with("BZh"))
    return core::Fail(core::ErrorCode::kUnsupported, "bzip2-compressed layers are not supported");
  if (h.starts_with("\xfd" "7zXZ"))
    return core::Fail(core::ErrorCode::kUnsupported, "xz-compressed layers are not supported");
  return Compression::kNone;
}

core::Result<std::unique_ptr<core::Reader>> NewDecompressor(core::Reader& in,
                                                           DecompressOptions options) {
  std::string head(6, '\0');
  size_t got = 0;
  while (got < head.size()) {
    KILN_ASSIGN(size_t n, in.Read(head.data() + got, head.size() - got));
    if (n == 0) break;
    got += n;
  }
  head.resize(got);
  KILN_ASSIGN(Compression kind, SniffCompression(head));
  switch (kind) {
    case Compression::kGzip:
      return std::make_unique<Gunzip>(in, std::move(head), options.max_output);
    case Compression::kZstd:
      return std::make_unique<Unzstd>(in, std::move(head), options.max_output);
    case Compression::kNone:
      break;
  }
  return std::make_unique<Plain>(in, std::move(head), options.max_output);
}

}  // namespace kiln::layers
