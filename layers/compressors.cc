// The compressing writers behind NewCompressor: ISA-L deflate, zlib deflate and zstd.
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "layers/compression.h"

namespace kiln::layers {
namespace {

constexpr size_t kOutChunk = 256 * 1024;
constexpr int kZstdJobSize = 1 << 20;

std::unexpected<core::Error> Internal(std::string message) {
  return core::Fail(core::ErrorCode::kInternal, std::move(message));
}

class PassThrough : public core::Writer {
 public:
  explicit PassThrough(core::Writer& out) : out_(out) {}
  core::Status Write(const void* data, size_t size) override { return out_.Write(data, size); }
  using core::Writer::Write;

 private:
  core::Writer& out_;
};

uint32_t IsalLevelBufSize(int level) {
  switch (level) {
    case 0: return ISAL_DEF_LVL0_DEFAULT;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    default: return ISAL_DEF_LVL3_DEFAULT;
  }
}

class IsalGzip : public core::Writer {
 public:
  IsalGzip(int level, core::Writer& out)
      : out_(out), level_buf_(IsalLevelBufSize(level)), buf_(kOutChunk) {
    isal_deflate_init(&s_);
    s_.level = static_cast<uint32_t>(level);
    s_.level_buf = level_buf_.data();
    s_.level_buf_size = static_cast<uint32_t>(level_buf_.size());
    s_.gzip_flag = IGZIP_GZIP;
  }
  core::Status Write(const void* data, size_t size) override {
    s_.next_in = static_cast<uint8_t*>(const_cast<void*>(data));
    s_.avail_in = static_cast<uint32_t>(size);
    return Pump();
  }
  using core::Writer::Write;
  core::Status Close() override {
    s_.end_of_stream = 1;
    s_.next_in = nullptr;
    s_.avail_in = 0;
    return Pump();
  }

 private:
  core::Status Pump() {
    do {
      s_.next_out = buf_.data();
      s_.avail_out = static_cast<uint32_t>(buf_.size());
      if (int rc = isal_deflate(&s_); rc != COMP_OK)
        return Internal("igzip deflate failed (" + std::to_string(rc) + ")");
      size_t n = buf_.size() - s_.avail_out;
      if (n) KILN_TRY(out_.Write(buf_.data(), n));
    } while (s_.avail_in > 0 || s_.avail_out == 0 ||
             (s_.end_of_stream && s_.internal_state.state != ZSTATE_END));
    return {};
  }
  core::Writer& out_;
  isal_zstream s_{};
  std::vector<uint8_t> level_buf_;
  std::vector<uint8_t> buf_;
};

class ZlibGzip : public core::Writer {
 public:
  ZlibGzip(int level, core::Writer& out) : out_(out), buf_(kOutChunk) {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibGzip() override { deflateEnd(&z_); }
  core::Status Write(const void* data, size_t size) override {
    z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    z_.avail_in = static_cast<uInt>(size);
    return Pump(Z_NO_FLUSH);
  }
  using core::Writer::Write;
  core::Status Close() override { return Pump(Z_FINISH); }

 private:
  core::Status Pump(int flush) {
    if (!ok_) return Internal("zlib deflateInit2 failed");
    int rc;
    do {
      z_.next_out = buf_.data();
      z_.avail_out = static_cast<uInt>(buf_.size());
      rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Internal("zlib deflate failed");
      size_t n = buf_.size() - z_.avail_out;
      if (n) KILN_TRY(out_.Write(buf_.data(), n));
    } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return {};
  }
  core::Writer& out_;
  z_stream z_{};
  bool ok_ = false;
  std::vector<Bytef> buf_;
};

class Zstd : public core::Writer {
 public:
  Zstd(int level, int threads, core::Writer& out)
      : out_(out), ctx_(ZSTD_createCCtx()), buf_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    // Always >= 1 worker: the multithreaded format is the same for any worker count.
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_nbWorkers, threads);
    // A fixed job size keeps output independent of the machine and bounds memory: zstd keeps
    // about (workers + 2) jobs of input and output in flight (the default, 4 x window, costs
    // ~100 MiB at level 3).
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_jobSize, kZstdJobSize);
  }
  ~Zstd() override { ZSTD_freeCCtx(ctx_); }
  core::Status Write(const void* data, size_t size) override {
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size) KILN_TRY(Step(in, ZSTD_e_continue));
    return {};
  }
  using core::Writer::Write;
  core::Status Close() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    for (;;) {
      KILN_ASSIGN(size_t left, Step(in, ZSTD_e_end));
      if (left == 0) return {};
    }
  }

 private:
  core::Result<size_t> Step(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer o{buf_.data(), buf_.size(), 0};
    size_t rc = ZSTD_compressStream2(ctx_, &o, &in, mode);
    if (ZSTD_isError(rc)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
    if (o.pos) KILN_TRY(out_.Write(buf_.data(), o.pos));
    return rc;
  }
  core::Writer& out_;
  ZSTD_CCtx* ctx_;
  std::vector<char> buf_;
};

}  // namespace

core::Result<Compression> ParseCompression(std::string_view name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "none") return Compression::kNone;
  return core::Fail(core::ErrorCode::kInvalidInput, "unknown compression \"" + std::string(name) +
                                                        "\" (use gzip, zstd or none)");
}

std::string_view CompressionName(Compression c) {
  return c == Compression::kGzip ? "gzip" : c == Compression::kZstd ? "zstd" : "none";
}

core::Result<std::unique_ptr<core::Writer>> NewCompressor(const CompressionOptions& o,
                                                         core::Writer& out) {
  auto bad = [&](const char* range) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "invalid " + std::string(CompressionName(o.kind)) + " level " +
                          std::to_string(o.level) + " (use " + range + ")");
  };
  switch (o.kind) {
    case Compression::kNone:
      return std::make_unique<PassThrough>(out);
    case Compression::kGzip: {
      int level = o.level < 0 ? 1 : o.level;
      if (level > 9) return bad("0-9");
      if (level <= ISAL_DEF_MAX_LEVEL) return std::make_unique<IsalGzip>(level, out);
      return std::make_unique<ZlibGzip>(level, out);
    }
    case Compression::kZstd: {
      int level = o.level < 0 ? 3 : o.level;
      if (level < 1 || level > ZSTD_maxCLevel()) return bad("1-22");
      return std::make_unique<Zstd>(level, o.threads, out);
    }
  }
  return Internal("unknown compression");
}

}  // namespace kiln::layers
