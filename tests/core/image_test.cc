#include "core/image.h"

#include <catch2/catch.hpp>

#include "core/media_types.h"

using namespace kiln::core;

TEST_CASE("an MCR-style Windows config parses and keeps unknown fields", "[unit]") {
  std::string text = R"({"architecture":"amd64","os":"windows","os.version":"10.0.20348.2582",
    "config":{"Env":["PATH=C:\\Windows"],"Cmd":["c:\\windows\\system32\\cmd.exe"],"Custom":1},
    "rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
    "history":[{"created":"2024-07-01T00:00:00Z","created_by":"Apply image 10.0.20348.2582"}],
    "docker_version":"20.10"})";
  auto c = ImageConfig::Parse(text);
  REQUIRE(c);
  CHECK(c->platform().ToString() == "windows/amd64:10.0.20348.2582");
  CHECK(c->config.cmd->at(0) == "c:\\windows\\system32\\cmd.exe");
  CHECK(c->diff_ids.size() == 1);
  auto again = ImageConfig::Parse(c->Serialize());
  REQUIRE(again);
  CHECK(again->Serialize() == c->Serialize());
  CHECK(c->Serialize().find("\"docker_version\":\"20.10\"") != std::string::npos);
  CHECK(c->Serialize().find("\"Custom\":1") != std::string::npos);
}

TEST_CASE("malformed documents give errors that name the field", "[unit]") {
  auto bad = ImageConfig::Parse(R"({"os": 3})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "malformed image config: \"os\" is not a string");
  CHECK_FALSE(ImageConfig::Parse("{not json"));
  CHECK_FALSE(Manifest::Parse(R"({"schemaVersion":2,"mediaType":"x"})"));
  auto noconf = Manifest::Parse(R"({"schemaVersion":2})");
  REQUIRE_FALSE(noconf);
  CHECK(noconf.error().message == "malformed manifest: no \"config\"");
}

TEST_CASE("a manifest list with os.version entries round-trips", "[unit]") {
  std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":574,
   "digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
   "platform":{"architecture":"amd64","os":"windows","os.version":"10.0.20348.1487"}}]})";
  auto idx = Index::Parse(text);
  REQUIRE(idx);
  REQUIRE(idx->manifests.size() == 1);
  CHECK(idx->manifests[0].platform->os_version == "10.0.20348.1487");
  CHECK(*DetectMediaType(text) == media::kDockerManifestList);
  CHECK(Index::Parse(idx->Serialize())->Serialize() == idx->Serialize());
}

TEST_CASE("RFC 3339 times are UTC with seconds", "[unit]") {
  CHECK(Rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(Rfc3339(1704067200) == "2024-01-01T00:00:00Z");
}

TEST_CASE("an os.version that is not a version is refused in configs and index entries",
          "[unit]") {
  std::string long_nines = "10.0." + std::string(300, '9') + "/../x";
  for (std::string bad : {long_nines, std::string("10.0.20348/../x"), std::string("10.0"),
                          std::string("10.0.1234567890"), std::string("a.b.c"),
                          std::string("10..0.1"), std::string("10.0.20348.1.2")}) {
    INFO(bad);
    auto config = ImageConfig::Parse(R"({"architecture":"amd64","os":"windows","os.version":")" +
                                     bad + "\"}");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == ErrorCode::kInvalidInput);
    CHECK_THAT(config.error().message,
               Catch::StartsWith("malformed image config: os.version \"") &&
                   Catch::Contains("is not a version (10.0.BUILD[.REV])"));
    CHECK(config.error().message.size() < 160);  // shortened, however long the value
    auto index = Index::Parse(
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("size":1,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",)"
        R"("platform":{"architecture":"amd64","os":"windows","os.version":")" + bad + "\"}}]}");
    REQUIRE_FALSE(index);
    CHECK_THAT(index.error().message, Catch::Contains("is not a version"));
  }
  // Versions, and other systems' dotted versions, still parse.
  CHECK(ImageConfig::Parse(R"({"os":"windows","os.version":"10.0.20348"})"));
  CHECK(ImageConfig::Parse(R"({"os":"windows","os.version":"10.0.20348.2582"})"));
  CHECK(ImageConfig::Parse(R"({"os":"linux","os.version":"5.15"})"));
  CHECK(ImageConfig::Parse(R"({"os":"linux"})"));
  CHECK_FALSE(ImageConfig::Parse(R"({"os":"linux","os.version":"5.15-rc1"})"));
}

TEST_CASE("AppendJsonString writes what Json::dump writes, and refuses what it refuses", "[unit]") {
  for (std::string s : {std::string(""), std::string("plain/path.txt"), std::string("a\"b\\c"),
                        std::string("tab\there\nnl\x01\x1f\x7f"), std::string("Ünïcödé ✓ 𝄞")}) {
    std::string out = "[";
    AppendJsonString(out, s);
    CHECK(out == "[" + Json(s).dump());
  }
  std::string bad = "bad\xff utf8";
  std::string out;
  CHECK_THROWS(AppendJsonString(out, bad));
  CHECK_THROWS(Json(bad).dump());
}
