// Pre-flight of the Windows executor: elevation, the Containers feature, privileges, the
// process-isolation version rule across Windows Server 2016-2025 and Windows 10/11 hosts, and the
// isolation choice (--isolation auto|process|hyperv, the Hyper-V role, the Hyper-V version rule).
#include <catch2/catch.hpp>

#include "builder/windows/preflight.h"
#include "tests/builder/fake_host_api.h"
#include "tests/support/test_env.h"

namespace bw = kiln::builder::windows;
using kiln::builder::Isolation;
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
      CHECK(bool(bw::RunPreflight(host, Image(image.c_str()), Isolation::kProcess)) == row.ok[i]);
    }
  }
}

TEST_CASE("a mismatch names both builds, the hosts that can build, and process isolation",
          "[unit]") {
  FakeHostApi ws2019;
  ws2019.version = WindowsVersion{10, 0, 17763, 5458};
  auto e = bw::RunPreflight(ws2019, Image("10.0.20348.2340"), Isolation::kProcess);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == kiln::core::ErrorCode::kUnsupported);
  CHECK(e.error().message ==
        "this host runs Windows Server 2019 (ltsc2019/1809, build 17763) (10.0.17763.5458) but "
        "the image is for Windows Server 2022 (ltsc2022, build 20348) (10.0.20348.2340): process "
        "isolation (--isolation process) needs a host of Windows Server 2022 "
        "(ltsc2022, build 20348), Windows 11 21H2 (build 22000), Windows 11 22H2 (build 22621), "
        "Windows 11 23H2 (build 22631), Windows Server 23H2 (build 25398), Windows Server 2025 / "
        "Windows 11 24H2 (ltsc2025, build 26100) or Windows 11 25H2 (build 26200) or newer. "
        "Build on such a host, or use a base image for build 17763.");

  FakeHostApi ws2022;
  e = bw::RunPreflight(ws2022, Image("10.0.17763.5000"), Isolation::kProcess);
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("needs a host of Windows Server 2019 (ltsc2019/1809, build "
                               "17763). Build on such a host, use --isolation hyperv") !=
        std::string::npos);

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

namespace {

struct Host {
  const char* name;
  uint32_t build;
};
constexpr Host kHosts[] = {{"Windows Server 2019", 17763}, {"Windows Server 2022", 20348},
                           {"Windows Server 2025", 26100}, {"Windows 10 22H2", 19045},
                           {"Windows 11 23H2", 22631},     {"Windows 11 25H2", 26200}};
struct BaseImage {
  const char* name;
  const char* version;
};
constexpr BaseImage kImages[] = {{"ltsc2019", "10.0.17763.5458"},
                                 {"ltsc2022", "10.0.20348.2340"},
                                 {"ltsc2025", "10.0.26100.1742"}};
constexpr Isolation kIsolations[] = {Isolation::kAuto, Isolation::kProcess, Isolation::kHyperV};

// What pre-flight says for one cell: "process", "hyperv" or the error.
std::string Outcome(const Host& h, bool role, const BaseImage& image, Isolation isolation,
                    int* role_checks = nullptr) {
  FakeHostApi host;
  host.version = WindowsVersion{10, 0, h.build, 2000};
  host.hyperv = role;
  auto chosen = bw::RunPreflight(host, Image(image.version), isolation);
  if (role_checks) *role_checks = host.hyperv_checks;
  if (!chosen) return "error: " + chosen.error().message;
  return std::string(kiln::builder::IsolationName(*chosen));
}

// The short form docs/windows.md shows.
std::string Short(const std::string& outcome) {
  if (outcome == "process") return "P";
  if (outcome == "hyperv") return "H";
  if (outcome.find("lacks (") != std::string::npos) return "no role";
  if (outcome.find("(--isolation process)") != std::string::npos) return "no P";
  return "too new";
}

}  // namespace

TEST_CASE("the isolation table: host x image x --isolation -> chosen mode or the exact error",
          "[unit]") {
  // The full table with every message (golden, UPDATE_GOLDEN=1 rewrites it) ...
  std::string full;
  for (const auto& h : kHosts)
    for (bool role : {true, false})
      for (const auto& image : kImages)
        for (Isolation isolation : kIsolations)
          full += std::string(h.name) + " (" + std::to_string(h.build) + "), Hyper-V role " +
                  (role ? "yes" : "no") + ", image " + image.name + " (" + image.version +
                  "), --isolation " + std::string(kiln::builder::IsolationName(isolation)) +
                  " -> " + Outcome(h, role, image, isolation) + "\n";
  auto golden = kiln::testing::SourceDir() / "tests/builder/testdata/hcs/isolation_table.txt";
  if (kiln::testing::UpdateGolden()) kiln::testing::WriteFile(golden, full);
  CHECK(kiln::testing::ReadFile(golden) == full);

  // ... and the matrix in docs/windows.md is the same table, short.
  std::string matrix =
      "| host (build) | Hyper-V role | ltsc2019 auto | process | hyperv | ltsc2022 auto | process "
      "| hyperv | ltsc2025 auto | process | hyperv |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& h : kHosts)
    for (bool role : {true, false}) {
      matrix += "| " + std::string(h.name) + " (" + std::to_string(h.build) + ") | " +
                (role ? "yes" : "no") + " |";
      for (const auto& image : kImages)
        for (Isolation isolation : kIsolations)
          matrix += " " + Short(Outcome(h, role, image, isolation)) + " |";
      matrix += "\n";
    }
  std::string doc = kiln::testing::ReadFile(kiln::testing::SourceDir() / "docs/windows.md");
  INFO(matrix);
  CHECK(doc.find(matrix) != std::string::npos);
}

TEST_CASE("auto takes process isolation where the build allows, else Hyper-V, else explains",
          "[unit]") {
  // Windows Server 2022 host, ltsc2019 image: no process isolation; Hyper-V with the role.
  CHECK(Outcome(kHosts[1], true, kImages[0], Isolation::kAuto) == "hyperv");
  // Without the role: both builds, both ways out, and the cloud-VM note, in one sentence.
  CHECK(Outcome(kHosts[1], false, kImages[0], Isolation::kAuto) ==
        "error: this host runs Windows Server 2022 (ltsc2022, build 20348) (10.0.20348.2000) but "
        "the image is for Windows Server 2019 (ltsc2019/1809, build 17763) (10.0.17763.5458): "
        "process isolation needs a host of Windows Server 2019 (ltsc2019/1809, build 17763), and "
        "Hyper-V isolation needs the Hyper-V role, which this host lacks (the Hyper-V Virtual "
        "Machine Management service (vmms) is not installed). Build on such a host, or give this "
        "host the Hyper-V role: enable it (Server: Install-WindowsFeature Hyper-V; Windows 10/11: "
        "Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All) and reboot; "
        "on a cloud VM this needs a VM size with nested virtualisation.");
  // An image newer than the host: Hyper-V cannot help either.
  CHECK(Outcome(kHosts[0], true, kImages[1], Isolation::kAuto) ==
        "error: this host runs Windows Server 2019 (ltsc2019/1809, build 17763) (10.0.17763.2000) "
        "but the image is for Windows Server 2022 (ltsc2022, build 20348) (10.0.20348.2340): "
        "process isolation needs a host of Windows Server 2022 (ltsc2022, build 20348), Windows "
        "11 21H2 (build 22000), Windows 11 22H2 (build 22621), Windows 11 23H2 (build 22631), "
        "Windows Server 23H2 (build 25398), Windows Server 2025 / Windows 11 24H2 (ltsc2025, "
        "build 26100) or Windows 11 25H2 (build 26200) or newer, and Hyper-V isolation a host of "
        "build 20348 or newer. Build on such a host, or use a base image for build 17763 or "
        "older.");
  // Process isolation where it works, even when Hyper-V would too; --isolation hyperv forces it.
  CHECK(Outcome(kHosts[2], true, kImages[1], Isolation::kAuto) == "process");
  CHECK(Outcome(kHosts[2], true, kImages[1], Isolation::kHyperV) == "hyperv");
}

TEST_CASE("the Hyper-V role is asked for only when Hyper-V isolation may be used", "[unit]") {
  int checks = -1;
  CHECK(Outcome(kHosts[1], false, kImages[1], Isolation::kAuto, &checks) == "process");
  CHECK(checks == 0);
  CHECK(Outcome(kHosts[1], false, kImages[1], Isolation::kProcess, &checks) == "process");
  CHECK(checks == 0);
  CHECK(Outcome(kHosts[1], true, kImages[0], Isolation::kAuto, &checks) == "hyperv");
  CHECK(checks == 1);
  CHECK(Outcome(kHosts[1], true, kImages[1], Isolation::kHyperV, &checks) == "hyperv");
  CHECK(checks == 1);
}

TEST_CASE("an image without os.version runs with the isolation asked for", "[unit]") {
  FakeHostApi host;
  CHECK(*bw::RunPreflight(host, *Platform::Parse("windows/amd64")) == Isolation::kProcess);
  CHECK(*bw::RunPreflight(host, *Platform::Parse("windows/amd64"), Isolation::kHyperV) ==
        Isolation::kHyperV);
  host.hyperv = false;
  auto e = bw::RunPreflight(host, *Platform::Parse("windows/amd64"), Isolation::kHyperV);
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("need the Hyper-V role") != std::string::npos);
}
