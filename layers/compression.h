// Layer compression as streams: gzip through ISA-L igzip (zlib for the levels ISA-L lacks),
// multithreaded zstd, or none; and decompressing readers that sniff the magic bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/io.h"
#include "core/media_types.h"

namespace kiln::layers {

using core::media::Compression;

struct CompressionOptions {
  Compression kind = Compression::kGzip;
  // -1 = default (gzip 1, zstd 3). gzip: 0-3 use ISA-L igzip levels 0-3, 4-9 use zlib;
  // zstd: 1-22. Fails on anything else.
  int level = -1;
  // zstd worker threads; 0 = one per core. Any value >= 1 gives the same bytes (zstd's
  // multithreaded format does not depend on the worker count), so output is reproducible.
  int threads = 0;
};

// "gzip", "zstd", "none" <-> Compression; Parse fails with kInvalidInput on other names.
core::Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);

// A Writer that compresses into `out`. Close() ends the compressed stream and returns once
// everything is written to `out` (it does not Close `out`). Fails on an invalid level.
core::Result<std::unique_ptr<core::Writer>> NewCompressor(const CompressionOptions& options,
                                                         core::Writer& out);

// The compression of a stream from its first bytes: gzip 1f 8b, zstd 28 b5 2f fd or a zstd
// skippable frame; anything else is taken as uncompressed. bzip2 and xz are kUnsupported.
core::Result<Compression> SniffCompression(std::string_view head);

struct DecompressOptions {
  // Fail once more than this many bytes come out (0 = no limit): the guard against
  // decompression bombs.
  uint64_t max_output = 0;
};

// A Reader that yields the decompressed bytes of `in` (gzip incl. multi-member, zstd incl.
// several frames, or the bytes as they are), chosen by sniffing. Errors name the format:
// "corrupt gzip stream", "truncated zstd stream", "... exceeds the limit of N bytes".
core::Result<std::unique_ptr<core::Reader>> NewDecompressor(core::Reader& in,
                                                           DecompressOptions options = {});

}  // namespace kiln::layers
