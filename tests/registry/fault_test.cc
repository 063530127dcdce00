// The client under injected faults: a FaultProxy between it and a real docker-registry drops
// connections mid-transfer or at request boundaries, answers 503 / 429 with Retry-After, or the
// registry is gone altogether.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "registry/client.h"
#include "registry/file_blob_source.h"
#include "tests/registry/registry_test_util.h"
#include "tests/support/fault_proxy.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

constexpr uint64_t kMiB = 1 << 20;

// A sink that writes to a file and records whether it was committed (closed).
class FileSink : public core::Writer {
 public:
  explicit FileSink(const fs::path& p) : f_(p, std::ios::binary) {}
  core::Status Write(const void* d, size_t n) override {
    f_.write(static_cast<const char*>(d), static_cast<std::streamsize>(n));
    written += n;
    return {};
  }
  core::Status Close() override {
    f_.close();
    closed = true;
    return {};
  }
  uint64_t written = 0;
  bool closed = false;

 private:
  std::ofstream f_;
};

core::Descriptor BlobDesc(const core::Digest& d, uint64_t size) {
  core::Descriptor desc;
  desc.media_type = "application/octet-stream";
  desc.digest = d;
  desc.size = static_cast<int64_t>(size);
  return desc;
}

}  // namespace

TEST_CASE("503 and 429 answers are retried after their Retry-After", "[integration]") {
  LocalRegistry reg;
  FaultProxy proxy(reg.port());
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({200000}, 2, tmp.path());
  proxy.AnswerNextRequests(503, 2, 1);
  proxy.AnswerNextRequests(429, 1, 1);
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(PushTestImage(client, Ref(proxy.host() + "/faults/retry:v1"), img) == "");
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(proxy.answered() == 3);
  CHECK(waited >= std::chrono::seconds(3));  // three Retry-After: 1 honoured
  registry::Client check(OptionsFor(reg));
  auto m = check.GetManifest(Ref(reg.host() + "/faults/retry:v1"));
  REQUIRE(m);
  CHECK(m->digest == img.manifest_digest);
}

TEST_CASE("a 200 MB push and pull survive dropped connections with correct digests",
          "[integration]") {
  LocalRegistry reg;
  FaultProxy proxy(reg.port());
  TempDir tmp;
  const uint64_t size = 200 * kMiB;
  core::Digest digest = WriteRandomFile(tmp / "blob", size, 42);
  auto desc = BlobDesc(digest, size);
  auto repo = Ref(proxy.host() + "/faults/big:v1");
  registry::Client client(OptionsFor(reg));

  // Push: one drop between chunks, one in the middle of a PATCH body.
  proxy.DropNextRequestAfterUpload(70 * kMiB);
  proxy.DropUploadAt(150 * kMiB);
  registry::FileBlobSource source((tmp / "blob").string());
  REQUIRE(client.PushBlob(repo, desc, source));
  CHECK(proxy.drops() == 2);
  CHECK(client.HasBlob(Ref(reg.host() + "/faults/big:v1"), digest).value_or(false));

  // Pull: two drops mid-body; the client resumes with Range requests.
  proxy.ResetCounters();
  proxy.DropDownloadAt(50 * kMiB);
  proxy.DropDownloadAt(130 * kMiB);
  FileSink sink(tmp / "pulled");
  REQUIRE(client.FetchBlob(repo, desc, sink));
  CHECK(sink.closed);
  CHECK(proxy.drops() == 4);
  CHECK(proxy.bytes_down() < size + size / 10);  // resumed, not restarted
  core::Hasher h;
  std::ifstream in(tmp / "pulled", std::ios::binary);
  std::string buf(kMiB, '\0');
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    h.Update(buf.data(), static_cast<size_t>(in.gcount()));
  CHECK(h.Finish() == digest);
}

TEST_CASE("a 1 GB chunked upload interrupted twice resumes from the registry's offset",
          "[integration]") {
  LocalRegistry reg;
  FaultProxy proxy(reg.port());
  TempDir tmp;
  const uint64_t size = 1024 * kMiB;
  core::Digest digest = WriteRandomFile(tmp / "blob", size, 7);
  registry::Client client(OptionsFor(reg));
  proxy.DropNextRequestAfterUpload(300 * kMiB);
  proxy.DropNextRequestAfterUpload(700 * kMiB);
  registry::FileBlobSource source((tmp / "blob").string());
  auto repo = Ref(proxy.host() + "/faults/huge:v1");
  REQUIRE(client.PushBlob(repo, BlobDesc(digest, size), source));
  CHECK(proxy.drops() == 2);
  INFO("bytes through the proxy: " << proxy.bytes_up() << ", blob: " << size);
  CHECK(proxy.bytes_up() < size + size / 5);
  CHECK(client.upload_bytes_sent() < size + size / 5);
  CHECK(client.HasBlob(Ref(reg.host() + "/faults/huge:v1"), digest).value_or(false));
}

TEST_CASE("a registry that is gone gives a clear network error and commits nothing",
          "[integration]") {
  LocalRegistry reg;
  TempDir tmp;
  auto opts = OptionsFor(reg);
  opts.retry.max_attempts = 3;
  registry::Client client(opts);
  TestImage img = MakeTestImage({1000}, 4, tmp.path());
  auto repo = Ref(reg.host() + "/gone/img:v1");
  REQUIRE(PushTestImage(client, repo, img) == "");
  reg.Stop();
  registry::Client fresh(opts);
  FileSink sink(tmp / "out");
  auto st = fresh.FetchBlob(repo, img.layers[0].desc, sink);
  REQUIRE_FALSE(st);
  CHECK_FALSE(sink.closed);
  CHECK(st.error().code == core::ErrorCode::kNetwork);
  CHECK_THAT(st.error().message, Catch::Contains(reg.host()));
  CHECK_THAT(st.error().message, Catch::Contains("Connection refused") ||
                                     Catch::Contains("Couldn't connect"));
  auto m = fresh.GetManifest(repo);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == core::ErrorCode::kNetwork);
}
