#include "core/platform.h"

#include <catch2/catch.hpp>

using kiln::core::Platform;
using kiln::core::ProcessIsolationCompatible;
using kiln::core::SelectPlatform;
using kiln::core::WindowsVersion;

TEST_CASE("platform strings parse in docker and BuildKit forms", "[unit]") {
  auto p = Platform::Parse("windows/amd64:10.0.20348");
  REQUIRE(p);
  CHECK(p->os == "windows");
  CHECK(p->architecture == "amd64");
  CHECK(p->os_version == "10.0.20348");
  auto b = Platform::Parse("windows(10.0.17763.437)/amd64");
  REQUIRE(b);
  CHECK(b->os_version == "10.0.17763.437");
  CHECK(b->ToString() == "windows/amd64:10.0.17763.437");
  auto arm = Platform::Parse("linux/aarch64/v8");
  REQUIRE(arm);
  CHECK(arm->ToString() == "linux/arm64");
  CHECK(Platform::Parse("linux/x86_64")->architecture == "amd64");
  CHECK_FALSE(Platform::Parse("linux//v7"));
  CHECK_FALSE(Platform::Parse("windows/amd64:"));
  CHECK_FALSE(Platform::Parse("windows/amd64:ten"));
  auto list = Platform::ParseList("windows/amd64:10.0.17763,windows/amd64:10.0.20348");
  REQUIRE(list);
  CHECK(list->size() == 2);
}

TEST_CASE("process isolation follows the containerd rc.5 version rule", "[unit]") {
  auto v = [](const char* s) { return *WindowsVersion::Parse(s); };
  struct Row { const char* host; const char* image; bool ok; };
  Row rows[] = {
      {"10.0.17763", "10.0.17763.5000", true},   // WS2019 runs ltsc2019
      {"10.0.17763", "10.0.20348", false},       // WS2019 cannot run ltsc2022
      {"10.0.20348", "10.0.17763", false},       // WS2022 runs ltsc2019 only with Hyper-V
      {"10.0.20348", "10.0.20348.1", true},
      {"10.0.26100", "10.0.20348", true},        // WS2025 runs ltsc2022
      {"10.0.26100", "10.0.26100", true},
      {"10.0.26200", "10.0.20348", true},        // Win11 25H2: the rc.5 fix (moby #53397)
      {"10.0.26200", "10.0.26100", true},
      {"10.0.22000", "10.0.20348", true},        // Windows 11 runs ltsc2022
      {"10.0.22000", "10.0.26100", false},
      {"10.0.14393", "10.0.14393", true},
      {"10.0.19045", "10.0.17763", false},       // Windows 10: exact build only
  };
  for (const auto& r : rows) {
    INFO(r.host << " runs " << r.image);
    CHECK(ProcessIsolationCompatible(v(r.host), v(r.image)) == r.ok);
  }
}

TEST_CASE("index selection prefers exact build, then highest build, then revision", "[unit]") {
  auto P = [](const char* s) { return *Platform::Parse(s); };
  std::vector<Platform> entries = {P("windows/amd64:10.0.17763.5000"),
                                   P("windows/amd64:10.0.20348.987"),
                                   P("windows/amd64:10.0.20348.1234"),
                                   P("windows/amd64:10.0.26100.100"), P("linux/amd64")};
  CHECK(SelectPlatform(P("windows/amd64:10.0.17763"), entries) == 0u);
  CHECK(SelectPlatform(P("windows/amd64:10.0.20348"), entries) == 2u);  // 1234 > 987 numerically
  CHECK(SelectPlatform(P("windows/amd64:10.0.26100"), entries) == 3u);
  CHECK(SelectPlatform(P("windows/amd64:10.0.26200"), entries) == 3u);  // highest allowed build
  CHECK(SelectPlatform(P("windows/amd64:10.0.22000"), entries) == 2u);
  CHECK_FALSE(SelectPlatform(P("windows/amd64:10.0.14393"), entries));
  CHECK(SelectPlatform(P("linux/amd64"), entries) == 4u);
  CHECK_FALSE(SelectPlatform(P("linux/arm64"), entries));
}
