// Pre-flight of the Windows executor: elevation, the Containers feature, privileges, and the
// process-isolation version rule across Windows Server 2016-2025 and Windows 10/11 hosts.
#include <catch2/catch.hpp>

#include "builder/windows/preflight.h"
#include "tests/builder/fake_host_api.h"

namespace bw = kiln::builder::windows;
using kiln::core::Platform;
using kiln::core::WindowsVersion;
using kiln::testing::FakeHostApi;

namespace {

Platform Image(const char* version) {
  return *Platform::Parse(std::string("windows/amd64:") + version);
}

}  // namespace

TEST_CASE("a compatible elevated host passes and gets backup and restore enabled", "[unit]") {
  FakeHostApi host;
  REQUIRE(bw::RunPreflight(host, Image("10.0.20348.2340")));
  CHECK(host.enabled.contains("SeBackupPrivilege"));
  CHECK(host.enabled.contains("SeRestorePrivilege"));
}

TEST_CASE("pre-flight says what is missing: elevation, feature, privileges", "[unit]") {
  FakeHostApi unelevated;
  unelevated.elevated = false;
  auto e = bw::RunPreflight(unelevated, Image("10.0.20348"));
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("Administrator") != std::string::npos);

  FakeHostApi no_feature;
  no_feature.containers_feature = false;
  e = bw::RunPreflight(no_feature, Image("10.0.20348"));
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("Install-WindowsFeature Containers") != std::string::npos);

  FakeHostApi no_restore;
  no_restore.held_privileges.erase("SeRestorePrivilege");
  e = bw::RunPreflight(no_restore, Image("10.0.20348"));
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("SeRestorePrivilege") != std::string::npos);

  FakeHostApi optional_missing;  // SeSecurity and SeManageVolume are wanted, not required
  optional_missing.held_privileges = {"SeBackupPrivilege", "SeRestorePrivilege"};
  CHECK(bw::RunPreflight(optional_missing, Image("10.0.20348")));

  FakeHostApi any;
  CHECK_FALSE(bw::RunPreflight(any, *Platform::Parse("linux/amd64")));
}

TEST_CASE("the version rule table: which hosts build which images", "[unit]") {
  // Rows: hosts; columns: images 14393 (2016), 17763 (2019), 20348 (2022), 26100 (2025).
  struct Row {
    uint32_t host;
    bool ok[4];
  };
  const uint32_t images[] = {14393, 17763, 20348, 26100};
  const Row rows[] = {
      {14393, {false, false, false, false}},  // WS2016: no computecore.dll, kiln refuses
      {17763, {false, true, false, false}},   // WS2019: ltsc2019 only
      {19045, {false, false, false, false}},  // Windows 10 22H2: no server image matches
      {20348, {false, false, true, false}},   // WS2022: ltsc2022 only
      {22631, {false, false, true, false}},   // Windows 11 23H2: ltsc2022
      {26100, {false, false, true, true}},    // WS2025 / Windows 11 24H2: 2022 and 2025
      {26200, {false, false, true, true}},    // Windows 11 25H2: containerd rc.5 rule
  };
  for (const auto& row : rows) {
    for (int i = 0; i < 4; ++i) {
      FakeHostApi host;
      host.version = WindowsVersion{10, 0, row.host, 1000};
      std::string image = "10.0." + std::to_string(images[i]) + ".500";
      INFO("host " << row.host << " image " << image);
      CHECK(bool(bw::RunPreflight(host, Image(image.c_str()))) == row.ok[i]);
    }
  }
}

TEST_CASE("a mismatch names both builds, the hosts that can build, and process isolation",
          "[unit]") {
  FakeHostApi ws2019;
  ws2019.version = WindowsVersion{10, 0, 17763, 5458};
  auto e = bw::RunPreflight(ws2019, Image("10.0.20348.2340"));
  REQUIRE_FALSE(e);
  CHECK(e.error().code == kiln::core::ErrorCode::kUnsupported);
  CHECK(e.error().message ==
        "this host runs Windows Server 2019 (ltsc2019/1809, build 17763) (10.0.17763.5458) but "
        "the image is for Windows Server 2022 (ltsc2022, build 20348) (10.0.20348.2340): kiln "
        "runs RUN steps with process isolation, which needs a host of Windows Server 2022 "
        "(ltsc2022, build 20348), Windows 11 21H2 (build 22000), Windows 11 22H2 (build 22621), "
        "Windows 11 23H2 (build 22631), Windows Server 23H2 (build 25398), Windows Server 2025 / "
        "Windows 11 24H2 (ltsc2025, build 26100) or Windows 11 25H2 (build 26200) or newer. "
        "Build on such a host, or use a base image for build 17763.");

  FakeHostApi ws2022;
  e = bw::RunPreflight(ws2022, Image("10.0.17763.5000"));
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("needs a host of Windows Server 2019 (ltsc2019/1809, build "
                               "17763). Build on such a host") != std::string::npos);

  FakeHostApi ws2016;
  ws2016.version = WindowsVersion{10, 0, 14393, 1};
  e = bw::RunPreflight(ws2016, Image("10.0.14393.1"));
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("need Windows Server 2019 (build 17763) or later") !=
        std::string::npos);
}

TEST_CASE("an image without os.version is left to HCS to judge", "[unit]") {
  FakeHostApi host;
  CHECK(bw::RunPreflight(host, *Platform::Parse("windows/amd64")));
  CHECK_FALSE(bw::RunPreflight(host, *Platform::Parse("windows/amd64:10.0.99999.1")));
}
