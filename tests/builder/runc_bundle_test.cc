#include "builder/linux/runc_bundle.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/linux/step_mounts.h"

using kiln::builder::AbsoluteTarget;
using kiln::builder::BundleConfig;
using kiln::builder::RuntimeConfigJson;
using kiln::builder::StandardMounts;
using nlohmann::json;

namespace {
json Config(const BundleConfig& c) {
  auto text = RuntimeConfigJson(c);
  REQUIRE(text);
  return json::parse(*text);
}

bool HasNamespace(const json& config, const std::string& type) {
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns["type"] == type) return true;
  return false;
}
}  // namespace

TEST_CASE("the bundle config carries process, user, root and hostname", "[unit]") {
  BundleConfig c;
  c.rootfs = "/store/snapshots/x/merged";
  c.argv = {"/bin/sh", "-c", "make"};
  c.env = {"A=1"};
  c.cwd = "/src";
  c.user.uid = 1000;
  c.user.gid = 50;
  c.user.additional_gids = {7};
  c.hostname = "h";
  c.mounts = StandardMounts();
  auto j = Config(c);
  CHECK(j["process"]["args"] == json({"/bin/sh", "-c", "make"}));
  CHECK(j["process"]["terminal"] == false);
  CHECK(j["process"]["cwd"] == "/src");
  CHECK(j["process"]["user"] == json({{"uid", 1000}, {"gid", 50}, {"additionalGids", {7}}}));
  CHECK(j["root"]["path"] == "/store/snapshots/x/merged");
  CHECK(j["hostname"] == "h");
  CHECK(j["mounts"].size() == StandardMounts().size());
  CHECK(j["mounts"][5]["destination"] == "/sys");
  CHECK(j["mounts"][5]["options"].back() == "ro");
}

TEST_CASE("a step gets a network namespace of its own unless it asks for the host's", "[unit]") {
  BundleConfig c;
  c.argv = {"true"};
  CHECK(HasNamespace(Config(c), "network"));
  CHECK(HasNamespace(Config(c), "pid"));
  c.network_host = true;
  CHECK_FALSE(HasNamespace(Config(c), "network"));
}

TEST_CASE("only root gets effective capabilities", "[unit]") {
  BundleConfig c;
  c.argv = {"true"};
  auto root = Config(c);
  CHECK(root["process"]["capabilities"]["effective"].size() == 14);
  c.user.uid = 1000;
  auto user = Config(c);
  CHECK(user["process"]["capabilities"]["effective"].empty());
  CHECK(user["process"]["capabilities"]["bounding"].size() == 14);
}

TEST_CASE("arguments that are not UTF-8 are refused, not mangled", "[unit]") {
  BundleConfig c;
  c.argv = {"echo", "\xff\xfe"};
  auto text = RuntimeConfigJson(c);
  REQUIRE_FALSE(text);
  CHECK_THAT(text.error().message, Catch::Contains("cannot be described to runc"));
}

TEST_CASE("mount targets resolve against the working directory without leaving /", "[unit]") {
  CHECK(AbsoluteTarget("/src", "cache") == "/src/cache");
  CHECK(AbsoluteTarget("/src", "/abs/./x/") == "/abs/x");
  CHECK(AbsoluteTarget("", "a/../../b") == "/b");
  CHECK(AbsoluteTarget("/", "") == "/");
}
