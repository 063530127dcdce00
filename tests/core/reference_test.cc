#include "core/reference.h"

#include <catch2/catch.hpp>

using kiln::core::IsLoopbackHost;
using kiln::core::Reference;

namespace {
const char* kD = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

TEST_CASE("references normalise the way docker does", "[unit]") {
  struct Row {
    std::string in, registry, repository, tag, full, familiar;
  };
  std::string d = kD;
  Row rows[] = {
      {"ubuntu", "docker.io", "library/ubuntu", "latest", "docker.io/library/ubuntu:latest",
       "ubuntu:latest"},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", "docker.io/library/ubuntu:22.04",
       "ubuntu:22.04"},
      {"user/app", "docker.io", "user/app", "latest", "docker.io/user/app:latest",
       "user/app:latest"},
      {"index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1",
       "docker.io/library/busybox:1", "busybox:1"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "latest",
       "docker.io/library/a/b:latest", "library/a/b:latest"},
      {"mcr.microsoft.com/windows/nanoserver:ltsc2022", "mcr.microsoft.com",
       "windows/nanoserver", "ltsc2022", "mcr.microsoft.com/windows/nanoserver:ltsc2022",
       "mcr.microsoft.com/windows/nanoserver:ltsc2022"},
      {"localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", "localhost:5000/a/b:v1",
       "localhost:5000/a/b:v1"},
      {"localhost/x", "localhost", "x", "latest", "localhost/x:latest", "localhost/x:latest"},
      {"127.0.0.1:40977/probe/busybox", "127.0.0.1:40977", "probe/busybox", "latest",
       "127.0.0.1:40977/probe/busybox:latest", "127.0.0.1:40977/probe/busybox:latest"},
      {"[::1]:5000/r:t", "[::1]:5000", "r", "t", "[::1]:5000/r:t", "[::1]:5000/r:t"},
      {"[fe80::1]/r", "[fe80::1]", "r", "latest", "[fe80::1]/r:latest", "[fe80::1]/r:latest"},
      {"Registry.Example/r", "Registry.Example", "r", "latest", "Registry.Example/r:latest",
       "Registry.Example/r:latest"},
      {"a__b/c-d.e_f---g:T_a.g-", "docker.io", "a__b/c-d.e_f---g", "T_a.g-",
       "docker.io/a__b/c-d.e_f---g:T_a.g-", "a__b/c-d.e_f---g:T_a.g-"},
      {"alpine@" + d, "docker.io", "library/alpine", "", "docker.io/library/alpine@" + d,
       "alpine@" + d},
      {"h.io/a:v1@" + d, "h.io", "a", "v1", "h.io/a:v1@" + d, "h.io/a:v1@" + d},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto ref = Reference::Parse(r.in);
    REQUIRE(ref);
    CHECK(ref->registry() == r.registry);
    CHECK(ref->repository() == r.repository);
    CHECK(ref->tag() == r.tag);
    CHECK(ref->ToString() == r.full);
    CHECK(ref->Familiar() == r.familiar);
    auto again = Reference::Parse(ref->ToString());  // the normalised form is a fixed point
    REQUIRE(again);
    CHECK(*again == *ref);
  }
}

TEST_CASE("a reference addresses its digest before its tag", "[unit]") {
  auto both = Reference::Parse(std::string("h.io/a:v1@") + kD);
  REQUIRE(both);
  CHECK(both->Identifier() == kD);
  CHECK(both->WithoutDigest().Identifier() == "v1");
  CHECK(Reference::Parse("h.io/a")->Identifier() == "latest");
  CHECK(Reference::ParseName("h.io/a")->tag().empty());
  CHECK(Reference::Parse("ubuntu")->ApiHost() == "registry-1.docker.io");
  CHECK(Reference::Parse("localhost:5000/x")->ApiHost() == "localhost:5000");
  CHECK(Reference::Parse("x")->WithTag("v2").ToString() == "docker.io/library/x:v2");
}

TEST_CASE("bad references are refused with a message saying what is wrong", "[unit]") {
  struct Row {
    std::string in, why;
  };
  Row rows[] = {
      {"", "empty"},
      {"Ubuntu", "must be lowercase"},
      {"h.io/Ubuntu", "must be lowercase"},
      {"a:b:c", "bad repository name component \"a:b\""},
      {"a:.x", "bad tag"},
      {"a:" + std::string(129, 'x'), "bad tag"},
      {"a@sha256:xyz", "bad digest"},
      {"a@md5:0123", "bad digest"},
      {"-a/b", "bad repository name component"},
      {"a//b", "bad repository name component"},
      {"a/b/", "bad repository name component"},
      {"a/b_.c", "bad repository name component"},
      {"h.io/", "empty repository name"},
      {"h.io:99999/a", "bad registry host"},
      {"h.io:/a", "bad registry host"},
      {"-h.io/a", "bad registry host"},
      {"[zz::1]/a", "bad registry host"},
      {"[::1/a", "bad registry host"},
      {std::string(64, 'a'), "image id"},
      {"h.io/" + std::string(260, 'a'), "longer than 255"},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto ref = Reference::Parse(r.in);
    REQUIRE_FALSE(ref);
    CHECK(ref.error().code == kiln::core::ErrorCode::kInvalidInput);
    CHECK_THAT(ref.error().message, Catch::Contains(r.why));
    CHECK_THAT(ref.error().message, Catch::StartsWith("invalid reference"));
  }
}

TEST_CASE("loopback hosts are recognised with and without ports", "[unit]") {
  CHECK(IsLoopbackHost("localhost"));
  CHECK(IsLoopbackHost("localhost:5000"));
  CHECK(IsLoopbackHost("127.0.0.1:5000"));
  CHECK(IsLoopbackHost("127.8.9.10"));
  CHECK(IsLoopbackHost("[::1]:443"));
  CHECK_FALSE(IsLoopbackHost("127.example.com"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.1:5000"));
  CHECK_FALSE(IsLoopbackHost("localhost.example.com"));
  CHECK_FALSE(IsLoopbackHost("docker.io"));
}
