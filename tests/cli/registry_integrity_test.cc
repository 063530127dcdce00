// Bytes that do not match their digest, on either side of a push or pull: a corrupt local store
// is caught while the blob streams (before the registry completes the upload) and named as
// such; wrong bytes from a registry are a registry error (exit code 3) and store nothing.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/registry/registry_test_util.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

std::vector<std::string> KilnArgs(const fs::path& root, const fs::path& config,
                                  std::vector<std::string> rest) {
  std::vector<std::string> a{KilnBinary().string(), "--root", root.string(), "--config",
                             config.string(), "--progress", "quiet"};
  a.insert(a.end(), rest.begin(), rest.end());
  return a;
}

// The file under `dir` whose name is `hex` (a store blob, or docker-registry's "data" file in
// the directory named `hex`).
fs::path FindBlobFile(const fs::path& dir, const std::string& hex) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (e.path().filename() == hex) return e.path();
    if (e.path().filename() == "data" && e.path().parent_path().filename() == hex) return e.path();
  }
  FAIL("no blob file for " << hex << " under " << dir);
  return {};
}

// Flips one byte in the middle of `file` (same size, other digest).
void Corrupt(const fs::path& file) {
  auto size = fs::file_size(file);
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(size / 2));
  char c = 0;
  f.read(&c, 1);
  f.seekp(static_cast<std::streamoff>(size / 2));
  c = static_cast<char>(c ^ 0x5a);
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("pushing a blob that is corrupt in the local store fails naming it, uploading nothing",
          "[integration]") {
  // Monolithic PUT, and chunked PATCH uploads (above 32 MiB).
  uint64_t size = GENERATE(uint64_t{300000}, uint64_t{40} << 20);
  INFO("layer of " << size << " bytes");
  LocalRegistry reg;
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({size}, 51, tmp.path());
  std::string src = reg.host() + "/corrupt/src:v1";
  REQUIRE(PushTestImage(client, Ref(src), img) == "");
  fs::path root = tmp / "store";
  auto pull = Run(KilnArgs(root, reg.ConfigDir(), {"pull", src}));
  INFO(pull.err);
  REQUIRE(pull.exit_code == 0);
  const core::Digest& layer = img.layers[0].desc.digest;
  Corrupt(FindBlobFile(root / "blobs", layer.hex()));

  // Another registry, so the blob cannot be mounted from the source repository: it must be
  // uploaded from the store.
  LocalRegistry other;
  registry::Client other_client(OptionsFor(other));
  std::string dst = other.host() + "/corrupt/dst:v1";
  auto push = Run(KilnArgs(root, reg.ConfigDir(), {"push", src, dst}));
  INFO(push.err);
  CHECK(push.exit_code == 1);
  CHECK_THAT(push.err, Catch::Contains("the local store"));
  CHECK_THAT(push.err, Catch::Contains("is corrupt: blob " + layer.ToString()));
  CHECK_THAT(push.err, !Catch::Contains("DIGEST_INVALID"));
  CHECK(std::count(push.err.begin(), push.err.end(), '\n') == 1);
  // The registry never completed an upload of the layer, and has no manifest.
  for (const auto& r : other.Requests()) {
    INFO(r.method << " " << r.path << " " << r.status);
    CHECK_FALSE((r.method == "PUT" && r.path.find("/blobs/uploads/") != std::string::npos &&
                 r.path.find(layer.hex()) != std::string::npos && r.status == 201));
  }
  auto has = other_client.HasBlob(Ref(dst), layer);
  REQUIRE(has);
  CHECK_FALSE(*has);
  auto manifest = other_client.HeadManifest(Ref(dst));
  REQUIRE(manifest);
  CHECK_FALSE(manifest->has_value());
}

TEST_CASE("a pulled blob whose bytes do not match its digest exits 3 and stores nothing",
          "[integration]") {
  LocalRegistry reg;
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({300000}, 52, tmp.path());
  std::string src = reg.host() + "/corrupt/served:v1";
  REQUIRE(PushTestImage(client, Ref(src), img) == "");
  const core::Digest& layer = img.layers[0].desc.digest;
  Corrupt(FindBlobFile(reg.StorageDir(), layer.hex()));

  fs::path root = tmp / "store";
  auto pull = Run(KilnArgs(root, reg.ConfigDir(), {"pull", src}));
  INFO(pull.err);
  CHECK(pull.exit_code == 3);
  CHECK_THAT(pull.err, Catch::Contains(layer.ToString()));
  CHECK_THAT(pull.err, Catch::Contains("do not match"));
  CHECK(std::count(pull.err.begin(), pull.err.end(), '\n') == 1);
  bool stored = false;
  if (fs::exists(root / "blobs"))
    for (const auto& e : fs::recursive_directory_iterator(root / "blobs"))
      stored = stored || e.path().filename() == layer.hex();
  CHECK_FALSE(stored);
}
