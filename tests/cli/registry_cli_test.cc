// kiln pull / push / copy / login / logout as a user runs them, against real docker-registry
// instances, with skopeo as the independent peer.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/media_types.h"
#include "registry/base64.h"
#include "tests/registry/registry_test_util.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

struct Cli {
  fs::path root, config;
  std::vector<std::string> Args(std::vector<std::string> rest) const {
    std::vector<std::string> a{KilnBinary().string(), "--root", root.string(), "--config",
                               config.string()};
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  }
  CommandResult operator()(std::vector<std::string> rest, const std::string& in = "") const {
    return Run(Args(std::move(rest)), {}, in);
  }
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string SkopeoInspectDigest(LocalRegistry& reg, const std::string& ref) {
  std::vector<std::string> argv{"skopeo", "inspect", "--format", "{{.Digest}}"};
  for (auto& f : reg.SkopeoFlags(true, true)) argv.push_back(f);
  argv.push_back("docker://" + ref);
  auto r = Run(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return Trim(r.out);
}

}  // namespace

TEST_CASE("kiln pull, push and copy interoperate with skopeo in every registry mode",
          "[integration]") {
  RegistryMode mode = GENERATE(RegistryMode::kPlain, RegistryMode::kTls, RegistryMode::kBasic,
                               RegistryMode::kToken);
  INFO("mode " << RegistryModeName(mode));
  LocalRegistry reg(mode);
  TempDir tmp;
  Cli kiln{tmp / "store", reg.ConfigDir()};
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({1 << 20, 5000}, 3, tmp.path());
  std::string src = reg.host() + "/interop/src:v1";
  REQUIRE(PushTestImage(client, Ref(src), img) == "");

  auto pull = kiln({"--progress", "plain", "pull", src});
  INFO(pull.err);
  REQUIRE(pull.exit_code == 0);
  CHECK(Trim(pull.out) == img.manifest_digest.ToString());
  CHECK_THAT(pull.err, Catch::Contains("done"));

  std::string dst = reg.host() + "/interop/pushed:v2";
  auto push = kiln({"push", src, dst});
  INFO(push.err);
  REQUIRE(push.exit_code == 0);
  CHECK(SkopeoInspectDigest(reg, dst) == img.manifest_digest.ToString());

  std::string copied = reg.host() + "/interop/copied:v3";
  auto copy = kiln({"copy", dst, copied});
  INFO(copy.err);
  REQUIRE(copy.exit_code == 0);
  CHECK(SkopeoInspectDigest(reg, copied) == img.manifest_digest.ToString());
}

TEST_CASE("kiln login checks the credentials and writes config.json as docker does",
          "[integration]") {
  RegistryMode mode = GENERATE(RegistryMode::kBasic, RegistryMode::kToken);
  LocalRegistry reg(mode);
  TempDir tmp;
  Cli kiln{tmp / "store", tmp / "docker"};
  auto bad = kiln({"login", "-u", LocalRegistry::kUser, "--password-stdin", reg.host()}, "nope\n");
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains(reg.host()));
  CHECK_FALSE(fs::exists(tmp / "docker/config.json"));

  auto ok = kiln({"login", "-u", LocalRegistry::kUser, "--password-stdin", reg.host()},
                 std::string(LocalRegistry::kPassword) + "\n");
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("Login Succeeded"));
  auto cfg = nlohmann::json::parse(ReadFile(tmp / "docker/config.json"));
  CHECK(cfg["auths"][reg.host()]["auth"] ==
        registry::Base64Encode(std::string(LocalRegistry::kUser) + ":" + LocalRegistry::kPassword));
  // skopeo reads what kiln wrote (it uses docker's config.json through --authfile).
  TestImage img = MakeTestImage({2000}, 5, tmp.path());
  registry::Client client(OptionsFor(reg));
  REQUIRE(PushTestImage(client, Ref(reg.host() + "/login/img:v1"), img) == "");
  auto sk = Run({"skopeo", "inspect", "--tls-verify=false", "--authfile",
                 (tmp / "docker/config.json").string(),
                 "docker://" + reg.host() + "/login/img:v1"});
  INFO(sk.err);
  CHECK(sk.exit_code == 0);

  auto out = kiln({"logout", reg.host()});
  CHECK(out.exit_code == 0);
  CHECK_THAT(out.out, Catch::Contains("Removing login credentials"));
  CHECK_THAT(ReadFile(tmp / "docker/config.json"), !Catch::Contains(reg.host()));
}

TEST_CASE("debug output shows the HTTP exchanges but never a password or a token", "[integration]") {
  RegistryMode mode = GENERATE(RegistryMode::kBasic, RegistryMode::kToken);
  LocalRegistry reg(mode);
  TempDir tmp;
  Cli kiln{tmp / "store", reg.ConfigDir()};
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({3000}, 6, tmp.path());
  REQUIRE(PushTestImage(client, Ref(reg.host() + "/secret/img:v1"), img) == "");
  auto pull = kiln({"--debug", "pull", reg.host() + "/secret/img:v1"});
  INFO(pull.err);
  REQUIRE(pull.exit_code == 0);
  CHECK_THAT(pull.err, Catch::Contains("GET "));
  CHECK_THAT(pull.err, Catch::Contains("Authorization=<redacted>"));
  CHECK_THAT(pull.err, !Catch::Contains(LocalRegistry::kPassword));
  std::string b64 = registry::Base64Encode(std::string(LocalRegistry::kUser) + ":" + LocalRegistry::kPassword);
  CHECK_THAT(pull.err, !Catch::Contains(b64));
  std::istringstream tokens(reg.IssuedTokens());
  int n = 0;
  for (std::string t; std::getline(tokens, t);) {
    if (t.empty()) continue;
    ++n;
    CHECK_THAT(pull.err, !Catch::Contains(t.substr(t.size() - 40)));  // the signature part
  }
  if (mode == RegistryMode::kToken) CHECK(n > 0);
}

TEST_CASE("json progress prints one parseable event per line", "[integration]") {
  LocalRegistry reg;
  TempDir tmp;
  Cli kiln{tmp / "store", reg.ConfigDir()};
  registry::Client client(OptionsFor(reg));
  TestImage img = MakeTestImage({4 << 20}, 8, tmp.path());
  REQUIRE(PushTestImage(client, Ref(reg.host() + "/json/img:v1"), img) == "");
  auto pull = kiln({"--progress", "json", "pull", reg.host() + "/json/img:v1"});
  REQUIRE(pull.exit_code == 0);
  std::istringstream lines(pull.err);
  std::set<std::string> kinds;
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("{", 0) != 0) continue;
    auto j = nlohmann::json::parse(l);
    kinds.insert(j["kind"].get<std::string>());
    CHECK(j.contains("id"));
  }
  CHECK(kinds.count("start"));
  CHECK(kinds.count("done"));

  // The terminal renderer redraws bars in place; plain mode prints lines only.
  auto tty = Cli{tmp / "store2", reg.ConfigDir()}({"--progress", "tty", "pull", reg.host() + "/json/img:v1"});
  REQUIRE(tty.exit_code == 0);
  CHECK_THAT(tty.err, Catch::Contains("\x1b[2K"));
  CHECK_THAT(tty.err, Catch::Contains("done"));
  auto plain = Cli{tmp / "store3", reg.ConfigDir()}({"--progress", "plain", "pull", reg.host() + "/json/img:v1"});
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.err, !Catch::Contains("\x1b["));
  CHECK_THAT(plain.err, Catch::Contains("pull " + img.layers[0].desc.digest.Short()));
}

TEST_CASE("registry failures exit with 3 and say registry, repository and operation",
          "[integration]") {
  TempDir tmp;
  int port = FreePort();  // nothing listens there
  Cli kiln{tmp / "store", tmp / "docker"};
  auto pull = kiln({"pull", "127.0.0.1:" + std::to_string(port) + "/nobody/here:v1"});
  CHECK(pull.exit_code == 3);
  CHECK_THAT(pull.err, Catch::Contains("127.0.0.1:" + std::to_string(port)));
  CHECK_THAT(pull.err, Catch::Contains("nobody/here"));
  CHECK(std::count(pull.err.begin(), pull.err.end(), '\n') == 1);  // one line

  LocalRegistry reg;
  Cli k2{tmp / "store", reg.ConfigDir()};
  auto missing = k2({"pull", reg.host() + "/no/such:tag"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("MANIFEST_UNKNOWN"));
  auto push = k2({"push", "nothing-local:v1", reg.host() + "/x/y:z"});
  CHECK(push.exit_code == 2);
  CHECK_THAT(push.err, Catch::Contains("nothing-local"));
}
