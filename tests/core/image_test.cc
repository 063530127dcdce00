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
