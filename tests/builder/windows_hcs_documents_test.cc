// The HCS JSON documents of a RUN step, compared byte for byte with golden files
// (UPDATE_GOLDEN=1 rewrites them), and Windows command-line quoting.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "builder/windows/command_line.h"
#include "builder/windows/hcs_documents.h"
#include "tests/support/test_env.h"

namespace bw = kiln::builder::windows;
using kiln::builder::RunMount;
using kiln::builder::RunSpec;

namespace {

void CheckGolden(const std::string& name, const std::string& actual) {
  auto path = kiln::testing::SourceDir() / "tests/builder/testdata/hcs" / name;
  if (kiln::testing::UpdateGolden()) kiln::testing::WriteFile(path, actual);
  CHECK(kiln::testing::ReadFile(path) == actual);
}

RunSpec SampleSpec() {
  RunSpec spec;
  spec.id = "kiln-3f2a9c1b7d4e5f60";
  spec.rootfs = "\\\\?\\Volume{3f0c9a52-1d2e-4b7a-9c61-2a5f8d7e4b10}";
  spec.layer_folders = {"C:\\ProgramData\\kiln\\windowsfilter\\layers\\aaaa",
                        "C:\\ProgramData\\kiln\\windowsfilter\\layers\\base"};
  spec.command_line = "cmd /S /C mkdir C:\\app && echo built> C:\\app\\stamp.txt";
  spec.env = {"PATH=C:\\Windows\\system32;C:\\Windows", "BUILD_ID=42", "path=C:\\tools",
              "EMPTY=", "NOVALUE"};
  spec.working_dir = "/app";
  spec.user = "ContainerAdministrator";
  return spec;
}

std::vector<bw::HcsLayer> SampleLayers() {
  return {{"0c8a7f2e-3b61-5d7e-9a43-6f1e2d9b0a11",
           "C:\\ProgramData\\kiln\\windowsfilter\\layers\\aaaa"},
          {"5e1f0c3d-8b2a-5c4d-8e9f-0a1b2c3d4e5f",
           "C:\\ProgramData\\kiln\\windowsfilter\\layers\\base"}};
}

RunMount Mount(RunMount::Type type, std::string source, std::string target) {
  RunMount m;
  m.type = type;
  m.source = std::move(source);
  m.target = std::move(target);
  m.read_only = true;
  return m;
}

}  // namespace

TEST_CASE("the ComputeSystem document is a schema 2.1 process-isolated container", "[unit]") {
  auto doc = bw::ComputeSystemDocument(SampleSpec(), SampleLayers(), "kiln");
  REQUIRE(doc);
  CheckGolden("compute_system.json", *doc);
}

TEST_CASE("bind and cache mounts become mapped directories", "[unit]") {
  RunSpec spec = SampleSpec();
  spec.hostname = "builder";
  spec.mounts = {Mount(RunMount::Type::kBind, "C:\\ctx\\step3", "C:/src"),
                 Mount(RunMount::Type::kCache, "C:\\kiln\\cache\\nuget",
                       "/Users/ContainerAdministrator/.nuget")};
  auto doc = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE(doc);
  CheckGolden("compute_system_mounts.json", *doc);
}

TEST_CASE("mounts and networking Windows containers cannot have are refused", "[unit]") {
  RunSpec spec = SampleSpec();
  spec.mounts = {Mount(RunMount::Type::kTmpfs, "", "C:\\tmp")};
  auto tmpfs = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE_FALSE(tmpfs);
  CHECK(tmpfs.error().code == kiln::core::ErrorCode::kUnsupported);
  spec.mounts = {Mount(RunMount::Type::kSecret, "C:\\s", "C:\\run\\secrets\\x")};
  CHECK_FALSE(bw::ComputeSystemDocument(spec, SampleLayers(), "kiln"));
  spec.mounts.clear();
  spec.network_host = true;
  auto network = bw::ComputeSystemDocument(spec, SampleLayers(), "kiln");
  REQUIRE_FALSE(network);
  CHECK(network.error().message.find("--network=host") != std::string::npos);
}

TEST_CASE("ProcessParameters carry the command, directory, user and environment", "[unit]") {
  auto doc = bw::ProcessParametersDocument(SampleSpec());
  REQUIRE(doc);
  CheckGolden("process_parameters.json", *doc);
  RunSpec exec = SampleSpec();
  exec.command_line.clear();
  exec.argv = {"powershell", "-Command", "Write-Host \"hi there\""};
  exec.user.clear();
  exec.working_dir.clear();
  auto exec_doc = bw::ProcessParametersDocument(exec);
  REQUIRE(exec_doc);
  CheckGolden("process_parameters_exec.json", *exec_doc);
}

TEST_CASE("container paths get backslashes and a drive", "[unit]") {
  CHECK(*bw::ContainerPath("/app/bin") == "C:\\app\\bin");
  CHECK(*bw::ContainerPath("D:/data") == "D:\\data");
  CHECK(*bw::ContainerPath("c:") == "c:\\");
  CHECK_FALSE(bw::ContainerPath("app"));
  CHECK_FALSE(bw::ContainerPath("C:app"));
}

TEST_CASE("ProcessStatus gives the exit code only when it is valid", "[unit]") {
  auto s = bw::ParseProcessStatus(
      R"({"ProcessId":12,"Exited":true,"ExitCode":3221225477,"LastWaitResult":0})");
  REQUIRE(s);
  CHECK(s->exit_code == 3221225477u);
  CHECK(s->exit_code_valid());
  auto running = bw::ParseProcessStatus(R"({"ProcessId":12,"Exited":false})");
  REQUIRE(running);
  CHECK_FALSE(running->exit_code_valid());
  auto waited_badly = bw::ParseProcessStatus(R"({"Exited":true,"ExitCode":0,"LastWaitResult":5})");
  CHECK_FALSE(waited_badly->exit_code_valid());
  CHECK_FALSE(bw::ParseProcessStatus("not json"));
}

TEST_CASE("arguments are quoted by the CommandLineToArgvW rules", "[unit]") {
  struct Row {
    const char* in;
    const char* out;
  };
  for (Row r : {Row{"plain", "plain"}, Row{"", "\"\""}, Row{"two words", "\"two words\""},
                Row{"say \"hi\"", "\"say \\\"hi\\\"\""}, Row{"C:\\dir\\", "C:\\dir\\"},
                Row{"C:\\my dir\\", "\"C:\\my dir\\\\\""}, Row{"a\\\"b", "\"a\\\\\\\"b\""}}) {
    INFO(r.in);
    CHECK(bw::QuoteWindowsArgument(r.in) == r.out);
  }
  CHECK(bw::WindowsShellCommandLine({}, "echo hi > C:\\out.txt") ==
        "cmd /S /C echo hi > C:\\out.txt");
  CHECK(bw::WindowsShellCommandLine({"powershell", "-Command"}, "Get-ChildItem") ==
        "powershell -Command Get-ChildItem");
  CHECK(bw::JoinWindowsCommandLine({"C:\\Program Files\\x.exe", "/q"}) ==
        "\"C:\\Program Files\\x.exe\" /q");
}
