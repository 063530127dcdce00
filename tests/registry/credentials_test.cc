// docker config.json credentials: auths entries, credsStore / credHelpers programs, and the
// file kiln login writes.
#include "registry/credentials.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "registry/base64.h"
#include "tests/support/test_env.h"

using namespace kiln::registry;
using namespace kiln::testing;

namespace {

// A docker-credential-<name> program on PATH that keeps secrets in a directory, one file per
// server, like the real helpers keep them in a keychain.
struct FakeHelperPath {
  explicit FakeHelperPath(TempDir& dir) : old_path(std::getenv("PATH")) {
    fs::path bin = dir / "bin";
    fs::create_directories(bin);
    WriteFile(bin / "docker-credential-kilntest",
              "#!/bin/sh\nstore=\"" + (dir / "keychain").string() + "\"\nmkdir -p \"$store\"\n"
              "case \"$1\" in\n"
              "get) read url; f=\"$store/$(echo \"$url\" | tr '/:' '__')\";\n"
              "  [ -f \"$f\" ] || { echo 'credentials not found in native keychain'; exit 1; }; cat \"$f\";;\n"
              "store) json=$(cat); url=$(echo \"$json\" | sed 's/.*\"ServerURL\":\"\\([^\"]*\\)\".*/\\1/');\n"
              "  echo \"$json\" > \"$store/$(echo \"$url\" | tr '/:' '__')\";;\n"
              "erase) read url; rm \"$store/$(echo \"$url\" | tr '/:' '__')\";;\n"
              "esac\n");
    fs::permissions(bin / "docker-credential-kilntest", fs::perms::owner_all |
                    fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                    fs::perms::others_exec);
    SetEnv("PATH", (bin.string() + ":" + old_path).c_str());
  }
  ~FakeHelperPath() { SetEnv("PATH", old_path.c_str()); }
  std::string old_path;
};

}  // namespace

TEST_CASE("credentials come from auths entries keyed the way docker writes them", "[unit]") {
  TempDir dir;
  WriteFile(dir / "config.json",
            R"({"auths": {"https://index.docker.io/v1/": {"auth": ")" + Base64Encode("hub:pw") +
                R"("}, "http://r.example:5000/v2/": {"auth": ")" + Base64Encode("u:p:with:colons") +
                R"("}, "tok.example": {"identitytoken": "refresh-123"}}})");
  CredentialStore store(dir.path().string());
  auto hub = store.Lookup("docker.io");
  REQUIRE(hub);
  CHECK(hub->username == "hub");
  CHECK(hub->password == "pw");
  auto r = store.Lookup("r.example:5000");
  REQUIRE(r);
  CHECK(r->password == "p:with:colons");
  CHECK(store.Lookup("tok.example")->identity_token == "refresh-123");
  CHECK(store.Lookup("other.example")->empty());
  CHECK(CredentialKey("docker.io") == "https://index.docker.io/v1/");
  CHECK(CredentialKey("localhost:5000") == "localhost:5000");
}

TEST_CASE("a missing config means no credentials, a malformed one is an error", "[unit]") {
  TempDir dir;
  CHECK(CredentialStore(dir.path().string()).Lookup("docker.io")->empty());
  WriteFile(dir / "config.json", "{not json");
  auto bad = CredentialStore(dir.path().string()).Lookup("docker.io");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("config.json"));
}

// [posix]: file modes; on Windows config.json gets its folder's ACL (as docker's does).
TEST_CASE("login writes config.json with mode 0600 in a 0700 folder", "[unit][posix]") {
  TempDir dir;
  fs::path cfg = dir / "cfg";
  REQUIRE(CredentialStore(cfg.string()).Save("localhost:5000", {"alice", "s3cret", "", ""}));
  CHECK((fs::status(cfg / "config.json").permissions() & fs::perms::mask) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK((fs::status(cfg).permissions() & fs::perms::mask) == fs::perms::owner_all);
}

TEST_CASE("login writes base64 auth and logout removes it", "[unit]") {
  TempDir dir;
  fs::path cfg = dir / "cfg";
  CredentialStore store(cfg.string());
  REQUIRE(store.Save("localhost:5000", {"alice", "s3cret", "", ""}));
  std::string text = ReadFile(cfg / "config.json");
  CHECK_THAT(text, Catch::Contains("\"localhost:5000\""));
  CHECK_THAT(text, Catch::Contains(Base64Encode("alice:s3cret")));
  CHECK_THAT(text, !Catch::Contains("s3cret"));
  CHECK(store.Lookup("localhost:5000")->password == "s3cret");
  // Unknown keys survive.
  WriteFile(cfg / "config.json", R"({"psFormat": "table", "auths": {}})");
  REQUIRE(store.Save("docker.io", {"bob", "pw", "", ""}));
  CHECK_THAT(ReadFile(cfg / "config.json"), Catch::Contains("psFormat"));
  CHECK_THAT(ReadFile(cfg / "config.json"), Catch::Contains("https://index.docker.io/v1/"));
  CHECK(store.Erase("docker.io").value());
  CHECK_FALSE(store.Erase("docker.io").value());
  CHECK(store.Lookup("docker.io")->empty());
}

// [posix]: the fake docker-credential-kilntest is a /bin/sh script found through a ':' PATH.
TEST_CASE("credHelpers and credsStore run docker-credential programs", "[unit][posix]") {
  TempDir dir;
  FakeHelperPath path(dir);
  fs::path cfg = dir / "cfg";
  WriteFile(cfg / "config.json",
            R"({"credsStore": "kilntest", "credHelpers": {"special.example": "missing"}})");
  CredentialStore store(cfg.string());
  CHECK(store.Lookup("r.example")->empty());  // helper says "not found"
  REQUIRE(store.Save("r.example", {"carol", "helper-secret", "", ""}));
  std::string text = ReadFile(cfg / "config.json");
  CHECK_THAT(text, Catch::Contains("\"r.example\": {}"));  // docker's empty placeholder
  CHECK_THAT(text, !Catch::Contains("helper-secret"));
  auto c = store.Lookup("r.example");
  REQUIRE(c);
  CHECK(c->username == "carol");
  CHECK(c->password == "helper-secret");
  REQUIRE(store.Save("tok.example", {"", "", "refresh-xyz", ""}));
  CHECK(store.Lookup("tok.example")->identity_token == "refresh-xyz");
  auto missing = store.Lookup("special.example");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("docker-credential-missing"));
  CHECK(store.Erase("r.example").value());
  CHECK(store.Lookup("r.example")->empty());
}
