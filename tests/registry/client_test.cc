// The registry client against a real docker-registry in its four modes, with skopeo as the
// independent reader and writer.
#include "registry/client.h"

#include <catch2/catch.hpp>

#include "core/media_types.h"
#include "registry/image_copy.h"
#include "tests/registry/registry_test_util.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

RegistryMode AnyMode() {
  return GENERATE(RegistryMode::kPlain, RegistryMode::kTls, RegistryMode::kBasic,
                  RegistryMode::kToken);
}

std::string SkopeoDigest(LocalRegistry& reg, const std::string& repo_tag) {
  std::vector<std::string> argv{"skopeo", "inspect", "--format", "{{.Digest}}"};
  for (auto& f : reg.SkopeoFlags(true, true)) argv.push_back(f);
  argv.push_back("docker://" + reg.host() + "/" + repo_tag);
  auto r = Run(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("an image pushed by the client is read by skopeo with the same digest", "[integration]") {
  RegistryMode mode = AnyMode();
  INFO("mode " << RegistryModeName(mode));
  LocalRegistry reg(mode);
  TempDir tmp;
  auto opts = OptionsFor(reg);
  opts.chunk_size = 1 << 20;  // the 3 MiB layer goes up in PATCH chunks
  registry::Client client(opts);
  TestImage img = MakeTestImage({3 << 20, 1000, 0}, 7, tmp.path());
  auto ref = Ref(reg.host() + "/kiln/interop:v1");
  REQUIRE(PushTestImage(client, ref, img) == "");
  CHECK(SkopeoDigest(reg, "kiln/interop:v1") == img.manifest_digest.ToString());

  // skopeo copies it into an OCI layout: every blob digest checks out on its side.
  std::vector<std::string> argv{"skopeo", "copy", "--preserve-digests"};
  for (auto& f : reg.SkopeoFlags(true)) argv.push_back(f);
  argv.push_back("docker://" + reg.host() + "/kiln/interop:v1");
  argv.push_back("oci:" + (tmp.path() / "layout").string() + ":v1");
  auto r = Run(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const auto& l : img.layers)
    CHECK(std::filesystem::file_size(tmp.path() / "layout/blobs/sha256" / l.desc.digest.hex()) ==
          static_cast<uint64_t>(l.desc.size));
  CHECK(ReadFile(tmp.path() / "layout/blobs/sha256" / img.manifest_digest.hex()) == img.manifest);
}

TEST_CASE("an image pushed by skopeo is fetched by the client with the same digests", "[integration]") {
  RegistryMode mode = AnyMode();
  INFO("mode " << RegistryModeName(mode));
  LocalRegistry reg(mode);
  TempDir tmp;
  // skopeo pushes an OCI layout we write by hand.
  TestImage img = MakeTestImage({2 << 20, 4096}, 11, tmp.path());
  fs::path layout = tmp.path() / "layout";
  WriteFile(layout / "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  auto blob = [&](const core::Digest& d, const std::string& bytes) {
    WriteFile(layout / "blobs/sha256" / d.hex(), bytes);
  };
  blob(img.config.desc.digest, img.config.bytes);
  for (const auto& l : img.layers) blob(l.desc.digest, l.bytes);
  blob(img.manifest_digest, img.manifest);
  WriteFile(layout / "index.json",
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" +
                std::string(core::media::kOciManifest) + "\",\"digest\":\"" +
                img.manifest_digest.ToString() + "\",\"size\":" +
                std::to_string(img.manifest.size()) +
                ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
  // --preserve-digests: our layers are random bytes, which skopeo would otherwise compress.
  std::vector<std::string> argv{"skopeo", "copy", "--preserve-digests"};
  for (auto& f : reg.SkopeoFlags(false)) argv.push_back(f);
  argv.push_back("oci:" + layout.string() + ":v1");
  argv.push_back("docker://" + reg.host() + "/skopeo/pushed:v1");
  auto r = Run(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  registry::Client client(OptionsFor(reg));
  auto ref = Ref(reg.host() + "/skopeo/pushed:v1");
  auto m = client.GetManifest(ref);
  REQUIRE(m);
  CHECK(m->digest == img.manifest_digest);
  CHECK(m->bytes == img.manifest);
  for (const auto& l : img.layers) {
    core::StringWriter out;
    REQUIRE(client.FetchBlob(ref, l.desc, out));
    CHECK(core::Digest::Sha256Of(out.data()) == l.desc.digest);
  }
  auto by_digest = client.GetManifest(ref.WithDigest(img.manifest_digest));
  REQUIRE(by_digest);
  CHECK(by_digest->bytes == img.manifest);
  auto tags = client.ListTags(ref);
  REQUIRE(tags);
  CHECK(*tags == std::vector<std::string>{"v1"});
}

TEST_CASE("a blob whose bytes do not match its digest is never committed", "[integration]") {
  LocalRegistry reg;
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({5000}, 3, tmp.path());
  auto ref = Ref(reg.host() + "/kiln/verify:v1");
  REQUIRE(PushTestImage(client, ref, img) == "");

  class RecordingWriter : public core::Writer {
   public:
    core::Status Write(const void* d, size_t n) override {
      bytes += n;
      (void)d;
      return {};
    }
    core::Status Close() override {
      closed = true;
      return {};
    }
    size_t bytes = 0;
    bool closed = false;
  };
  core::Descriptor lie = img.layers[0].desc;
  lie.digest = core::Digest::Sha256Of("something else");
  // Ask for the real blob's bytes under a wrong digest: the registry only knows the real one,
  // so fetch the real path but verify against the lie by asking with the true digest and a
  // wrong size first.
  core::Descriptor wrong_size = img.layers[0].desc;
  wrong_size.size -= 1;
  RecordingWriter w1;
  auto st = client.FetchBlob(ref, wrong_size, w1);
  REQUIRE_FALSE(st);
  CHECK_FALSE(w1.closed);
  CHECK_THAT(st.error().message, Catch::Contains("more than"));

  RecordingWriter w2;
  st = client.FetchBlob(ref, lie, w2);
  REQUIRE_FALSE(st);
  CHECK_FALSE(w2.closed);
  CHECK(st.error().code == core::ErrorCode::kNotFound);
}

TEST_CASE("a blob already in another repository of the registry is mounted, not uploaded",
          "[integration]") {
  RegistryMode mode = GENERATE(RegistryMode::kPlain, RegistryMode::kToken);
  LocalRegistry reg(mode);
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({1 << 20}, 5, tmp.path());
  auto base = Ref(reg.host() + "/base/image:v1");
  REQUIRE(PushTestImage(client, base, img) == "");
  reg.ClearLog();
  auto copy = registry::CopyImage(client, base, Ref(reg.host() + "/app/image:v2"), {});
  REQUIRE(copy);
  CHECK(copy->digest == img.manifest_digest);
  CHECK(copy->blobs_mounted == 2);
  CHECK(copy->blobs_uploaded == 0);
  int mounts = 0;
  for (const auto& r : reg.Requests()) {
    INFO(r.method << " " << r.path);
    CHECK_FALSE((r.method == "GET" && r.path.find("/blobs/") != std::string::npos));
    CHECK(r.method != "PATCH");
    if (r.method == "POST" && r.path.find("mount=") != std::string::npos && r.status == 201) ++mounts;
  }
  CHECK(mounts == 2);
  // A second copy finds everything present.
  auto again = registry::CopyImage(client, base, Ref(reg.host() + "/app/image:v2"), {});
  REQUIRE(again);
  CHECK(again->blobs_mounted == 0);
}

TEST_CASE("a copy between two registries streams every blob and keeps every digest",
          "[integration]") {
  LocalRegistry a(RegistryMode::kBasic), b(RegistryMode::kToken);
  TempDir tmp;
  // One client for both registries: each has its own config dir, so merge the credentials.
  auto opts = OptionsFor(b);
  registry::Client client(opts);
  client.session().auth().SetCredentials(a.host(), {LocalRegistry::kUser, LocalRegistry::kPassword, "", ""});
  TestImage img = MakeTestImage({40 << 20, 7000}, 9, tmp.path());
  auto src = Ref(a.host() + "/src/img:v1");
  REQUIRE(PushTestImage(client, src, img) == "");
  auto copied = registry::CopyImage(client, src, Ref(b.host() + "/dst/img:v1"), {});
  REQUIRE(copied);
  CHECK(copied->blobs_uploaded == 3);
  CHECK(SkopeoDigest(b, "dst/img:v1") == img.manifest_digest.ToString());
}

TEST_CASE("anonymous users of a token registry may pull but not push", "[integration]") {
  LocalRegistry reg(RegistryMode::kToken);
  TempDir tmp;
  TestImage img = MakeTestImage({1000}, 1, tmp.path());
  registry::Client writer(OptionsFor(reg));
  auto ref = Ref(reg.host() + "/open/img:v1");
  REQUIRE(PushTestImage(writer, ref, img) == "");
  registry::Client anon(OptionsFor(reg, /*logged_in=*/false));
  auto m = anon.GetManifest(ref);
  REQUIRE(m);
  CHECK(m->digest == img.manifest_digest);
  std::string err = PushTestImage(anon, Ref(reg.host() + "/open/other:v1"), img);
  CHECK_THAT(err, Catch::Contains(reg.host() + "/open/other"));
  CHECK_THAT(err, Catch::Contains("401"));
}

TEST_CASE("wrong credentials fail with an unauthorized error naming the registry", "[integration]") {
  RegistryMode mode = GENERATE(RegistryMode::kBasic, RegistryMode::kToken);
  LocalRegistry reg(mode);
  registry::Client client(OptionsFor(reg, false));
  client.session().auth().SetCredentials(reg.host(), {LocalRegistry::kUser, "wrong-password", "", ""});
  auto st = client.CheckLogin(reg.host());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == core::ErrorCode::kUnauthorized);
  CHECK_THAT(st.error().message, Catch::Contains(reg.host()));
  CHECK_THAT(st.error().message, !Catch::Contains("wrong-password"));
  registry::Client good(OptionsFor(reg, true));
  CHECK(good.CheckLogin(reg.host()));
}

TEST_CASE("TLS works with the registry's CA in certs.d and is refused without it", "[integration]") {
  LocalRegistry reg(RegistryMode::kTls);
  registry::Client with_ca(OptionsFor(reg));
  CHECK(with_ca.CheckLogin(reg.host()));
  auto no_ca = OptionsFor(reg);
  no_ca.certs_dirs = {"/nonexistent"};
  registry::Client without(no_ca);
  auto st = without.CheckLogin(reg.host());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == core::ErrorCode::kNetwork);
  CHECK_THAT(st.error().message, Catch::Contains("not trusted"));
  no_ca.ca_cert = reg.CaCert().string();  // --ca-cert works too
  registry::Client with_flag(no_ca);
  CHECK(with_flag.CheckLogin(reg.host()));
}

TEST_CASE("an identity token from config.json is exchanged for access tokens", "[integration]") {
  LocalRegistry reg(RegistryMode::kToken);
  TempDir tmp;
  WriteFile(tmp / "cfg/config.json", "{\"auths\": {\"" + reg.host() +
                                         "\": {\"identitytoken\": \"kiln-refresh-token\"}}}");
  auto opts = OptionsFor(reg);
  opts.config_dir = (tmp / "cfg").string();
  registry::Client client(opts);
  TestImage img = MakeTestImage({2000}, 12, tmp.path());
  CHECK(PushTestImage(client, Ref(reg.host() + "/oauth/img:v1"), img) == "");
  WriteFile(tmp / "cfg/config.json", "{\"auths\": {\"" + reg.host() +
                                         "\": {\"identitytoken\": \"revoked\"}}}");
  registry::Client revoked(opts);
  auto st = revoked.CheckLogin(reg.host());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == core::ErrorCode::kUnauthorized);
}

TEST_CASE("a whole index is copied with its children and keeps its digest", "[integration]") {
  LocalRegistry reg;
  TempDir tmp;
  registry::Client client(OptionsFor(reg));
  auto P = [](const char* s) { return *core::Platform::Parse(s); };
  std::vector<core::Platform> platforms = {P("windows/amd64:10.0.17763.1"), P("windows/amd64:10.0.20348.1")};
  std::vector<TestImage> images;
  auto repo = Ref(reg.host() + "/multi/src:v1");
  for (size_t i = 0; i < platforms.size(); ++i) {
    images.push_back(MakeTestImage({3000 + i}, 70 + static_cast<uint32_t>(i), tmp.path(), platforms[i]));
    REQUIRE(PushTestImage(client, repo.WithTag("").WithDigest(images.back().manifest_digest),
                          images.back()) == "");
  }
  std::string index = MakeIndex(images, platforms);
  REQUIRE(client.PutManifest(repo, core::media::kOciIndex, index));
  auto copied = registry::CopyImage(client, repo, Ref(reg.host() + "/multi/dst:v1"), {});
  REQUIRE(copied);
  CHECK(copied->digest == core::Digest::Sha256Of(index));
  std::vector<std::string> raw{"skopeo", "inspect", "--raw"};
  for (auto& f : reg.SkopeoFlags(true, true)) raw.push_back(f);
  raw.push_back("docker://" + reg.host() + "/multi/dst:v1");
  CHECK(Run(raw).out == index);  // skopeo reads the very bytes
  for (const auto& img : images)
    CHECK(client.GetManifest(Ref(reg.host() + "/multi/dst").WithTag("").WithDigest(img.manifest_digest)));
  // --platform: only the chosen image, as a plain manifest.
  registry::CopyOptions one;
  one.platform = P("windows/amd64:10.0.17763");
  auto single = registry::CopyImage(client, repo, Ref(reg.host() + "/multi/one:v1"), one);
  REQUIRE(single);
  CHECK(single->digest == images[0].manifest_digest);
}
