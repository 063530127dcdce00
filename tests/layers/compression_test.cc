#include <catch2/catch.hpp>

#include <random>

#include "layers/compression.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;

namespace {

std::string Compress(Compression kind, const std::string& data, int level = -1, int threads = 0) {
  core::StringWriter out;
  auto c = NewCompressor({kind, level, threads}, out);
  REQUIRE(c);
  // Odd-sized writes exercise the streaming paths.
  for (size_t pos = 0; pos < data.size(); pos += 77777)
    REQUIRE((*c)->Write(data.data() + pos, std::min<size_t>(77777, data.size() - pos)));
  REQUIRE((*c)->Close());
  return out.data();
}

core::Result<std::string> Decompress(const std::string& blob, uint64_t limit = 0) {
  core::StringReader in(blob);
  KILN_ASSIGN(auto r, NewDecompressor(in, {limit}));
  return core::ReadAll(*r, 1 << 30);
}

std::string Sample(size_t size) {
  std::mt19937 rng(7);
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = i % 3 ? static_cast<char>('a' + rng() % 4) : static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("gzip (ISA-L and zlib levels), zstd and none round-trip through the sniffing reader",
          "[unit]") {
  std::string data = Sample(3 << 20);
  for (int level : {0, 1, 2, 3, 6, 9}) {
    std::string gz = Compress(Compression::kGzip, data, level);
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(gz.size() < data.size());
    CHECK(*Decompress(gz) == data);
  }
  std::string zs = Compress(Compression::kZstd, data);
  CHECK(zs.substr(0, 4) == "\x28\xb5\x2f\xfd");
  CHECK(*Decompress(zs) == data);
  CHECK(Compress(Compression::kNone, data) == data);
  CHECK(*Decompress(data) == data);
  CHECK(Decompress("")->empty());
}

TEST_CASE("invalid compression levels are refused", "[unit]") {
  core::StringWriter out;
  auto g = NewCompressor({Compression::kGzip, 10, 0}, out);
  REQUIRE_FALSE(g);
  CHECK(g.error().message == "invalid gzip level 10 (use 0-9)");
  CHECK_FALSE(NewCompressor({Compression::kZstd, 0, 0}, out));
  CHECK_FALSE(NewCompressor({Compression::kZstd, 23, 0}, out));
  CHECK_FALSE(ParseCompression("bzip2"));
}

TEST_CASE("zstd output does not depend on the number of worker threads", "[unit]") {
  std::string data = Sample(40 << 20);  // several zstd jobs
  std::string one = Compress(Compression::kZstd, data, 3, 1);
  CHECK(Compress(Compression::kZstd, data, 3, 2) == one);
  CHECK(Compress(Compression::kZstd, data, 3, 4) == one);
}

TEST_CASE("concatenated gzip members and zstd frames read as one stream", "[unit]") {
  std::string a = Sample(1000), b = Sample(5000);
  CHECK(*Decompress(Compress(Compression::kGzip, a) + Compress(Compression::kGzip, b)) == a + b);
  CHECK(*Decompress(Compress(Compression::kZstd, a) + Compress(Compression::kZstd, b)) == a + b);
}

TEST_CASE("truncated and corrupt compressed streams fail clearly", "[unit]") {
  std::string data = Sample(1 << 20);
  std::string gz = Compress(Compression::kGzip, data);
  auto cut = Decompress(gz.substr(0, gz.size() / 2));
  REQUIRE_FALSE(cut);
  CHECK(cut.error().message == "truncated gzip stream");
  std::string bad = gz;
  bad[gz.size() - 6] ^= 0x55;  // the CRC32 trailer
  auto crc = Decompress(bad);
  REQUIRE_FALSE(crc);
  CHECK(crc.error().message.find("corrupt gzip stream") == 0);
  auto trailing = Decompress(gz + "garbage");
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error().message.find("trailing data") != std::string::npos);
  std::string zs = Compress(Compression::kZstd, data);
  auto zcut = Decompress(zs.substr(0, zs.size() - 10));
  REQUIRE_FALSE(zcut);
  CHECK(zcut.error().message == "truncated zstd stream");
  auto xz = Decompress(std::string("\xfd" "7zXZ\0", 6));
  REQUIRE_FALSE(xz);
  CHECK(xz.error().code == core::ErrorCode::kUnsupported);
}

TEST_CASE("decompression bombs stop at the output limit", "[unit]") {
  // 1 GiB of zeros compresses to about 1 MiB of gzip and a few KiB of zstd.
  core::StringWriter gz, zs;
  auto g = NewCompressor({Compression::kGzip, 1, 0}, gz);
  auto z = NewCompressor({Compression::kZstd, 3, 1}, zs);
  std::string zeros(1 << 20, '\0');
  for (int i = 0; i < 1024; ++i) {
    REQUIRE((*g)->Write(zeros));
    REQUIRE((*z)->Write(zeros));
  }
  REQUIRE((*g)->Close());
  REQUIRE((*z)->Close());
  CHECK(gz.data().size() < (4 << 20));
  for (const std::string* blob : {&gz.data(), &zs.data()}) {
    core::StringReader in(*blob);
    auto r = NewDecompressor(in, {64 << 20});
    REQUIRE(r);
    std::string buf(1 << 20, '\0');
    core::Status status;
    uint64_t total = 0;
    for (;;) {
      auto n = (*r)->Read(buf.data(), buf.size());
      if (!n) {
        status = std::unexpected(n.error());
        break;
      }
      if (*n == 0) break;
      total += *n;
    }
    REQUIRE_FALSE(status);
    CHECK(total <= (64u << 20));
    CHECK(status.error().message.find("exceeds the limit of 67108864 bytes") != std::string::npos);
  }
}

TEST_CASE("our gzip and zstd streams are read by gzip(1) and zstd(1)", "[integration]") {
  testing::TempDir dir;
  std::string data = Sample(2 << 20);
  testing::WriteFile(dir / "x.gz", Compress(Compression::kGzip, data));
  testing::WriteFile(dir / "x.zst", Compress(Compression::kZstd, data));
  testing::WriteFile(dir / "x", data);
  auto r = testing::Shell("cd " + dir.path().string() +
                          " && gzip -t x.gz && zstd -q -t x.zst && gzip -dc x.gz | cmp - x && "
                          "zstd -dc x.zst | cmp - x && gzip -c x > y.gz && zstd -q -T2 x -o y.zst");
  REQUIRE(r.exit_code == 0);
  CHECK(*Decompress(testing::ReadFile(dir / "y.gz")) == data);
  CHECK(*Decompress(testing::ReadFile(dir / "y.zst")) == data);
}
