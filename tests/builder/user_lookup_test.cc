#include "builder/linux/user_lookup.h"

#include <catch2/catch.hpp>

using kiln::builder::ResolveUser;

namespace {
const char* kPasswd =
    "# comment\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "broken line\n"
    "app:x:1000:1001:App:/home/app:/bin/sh\n"
    "svc:x:999:999::/var/svc:/bin/false\r\n";
const char* kGroup =
    "root:x:0:\n"
    "staff:x:50:app,svc\n"
    "app:x:1001:\n"
    "docker:x:998:svc,app\n"
    "svc:x:999:\n";
}  // namespace

TEST_CASE("an empty user is root with root's home", "[unit]") {
  auto u = ResolveUser("", kPasswd, kGroup);
  REQUIRE(u);
  CHECK(u->uid == 0);
  CHECK(u->gid == 0);
  CHECK(u->home == "/root");
  CHECK(u->additional_gids.empty());
}

TEST_CASE("a user name takes uid, primary gid, home and supplementary groups from the files",
          "[unit]") {
  auto u = ResolveUser("app", kPasswd, kGroup);
  REQUIRE(u);
  CHECK(u->uid == 1000);
  CHECK(u->gid == 1001);
  CHECK(u->home == "/home/app");
  CHECK(u->additional_gids == std::vector<uint32_t>{50, 998});
}

TEST_CASE("an explicit group replaces the primary group and drops supplementary ones", "[unit]") {
  auto u = ResolveUser("app:docker", kPasswd, kGroup);
  REQUIRE(u);
  CHECK(u->gid == 998);
  CHECK(u->additional_gids.empty());
  auto n = ResolveUser("svc:7", kPasswd, kGroup);
  REQUIRE(n);
  CHECK(n->uid == 999);
  CHECK(n->gid == 7);
}

TEST_CASE("numeric ids need no entry, a known uid still gets its gid and home", "[unit]") {
  auto u = ResolveUser("4242", kPasswd, kGroup);
  REQUIRE(u);
  CHECK(u->uid == 4242);
  CHECK(u->gid == 0);
  CHECK(u->home == "/");
  auto known = ResolveUser("999", kPasswd, kGroup);
  REQUIRE(known);
  CHECK(known->gid == 999);
  CHECK(known->home == "/var/svc");
  auto both = ResolveUser("4242:4343", "", "");
  REQUIRE(both);
  CHECK(both->gid == 4343);
}

TEST_CASE("unknown user or group names fail with docker's wording", "[unit]") {
  auto u = ResolveUser("ghost", kPasswd, kGroup);
  REQUIRE_FALSE(u);
  CHECK(u.error().message == "unable to find user ghost: no matching entries in passwd file");
  auto g = ResolveUser("app:ghosts", kPasswd, kGroup);
  REQUIRE_FALSE(g);
  CHECK(g.error().message == "unable to find group ghosts: no matching entries in group file");
  CHECK_FALSE(ResolveUser("app", "", ""));
  CHECK_FALSE(ResolveUser("-1", kPasswd, kGroup));
}
