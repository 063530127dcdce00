// The HCS executor on its own: output, exit codes, both ways of observing the exit, step
// timeouts, Ctrl-C, and pipes a stray process keeps open.
#include <catch2/catch.hpp>

#include "core/cancel.h"
#include "tests/builder/windows_rig.h"

using kiln::testing::WindowsRig;

namespace {

struct Captured {
  std::string out, err;
};

kiln::builder::RunSpec Capturing(WindowsRig& rig, Captured& c) {
  auto spec = rig.Spec();
  spec.on_stdout = [&c](std::string_view s) { c.out += s; };
  spec.on_stderr = [&c](std::string_view s) { c.err += s; };
  return spec;
}

}  // namespace

TEST_CASE("stdout and stderr reach the step's callbacks", "[unit]") {
  WindowsRig rig;
  rig.compute.output = {{false, "hello "}, {true, "warning\r\n"}, {false, "world\r\n"}};
  Captured c;
  auto out = rig.RunStep(Capturing(rig, c));
  REQUIRE(out.ran);
  CHECK(c.out == "hello world\r\n");
  CHECK(c.err == "warning\r\n");
  CHECK(rig.compute.process_parameters.find("\"CreateStdOutPipe\": true") != std::string::npos);
  rig.CheckNothingLeft();
}

TEST_CASE("a non-zero exit is a result, not an error", "[unit]") {
  WindowsRig rig;
  rig.compute.exit_code = 3;
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.ran);
  CHECK(out.exit->exit_code == 3);
  CHECK_FALSE(out.exit->timed_out);
  rig.CheckNothingLeft();
}

TEST_CASE("without HcsWaitForProcessExit the exit comes through the callback", "[unit]") {
  WindowsRig rig;
  rig.compute.has_wait_for_process_exit = false;
  rig.compute.exit_code = 7;
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.ran);
  CHECK(out.exit->exit_code == 7);
  auto log = rig.compute.log();
  CHECK(std::find(log.begin(), log.end(), "HcsSetProcessCallback") != log.end());
  CHECK(std::find(log.begin(), log.end(), "HcsWaitForProcessExit") == log.end());
  rig.CheckNothingLeft();
}

TEST_CASE("an exit before the callback was registered is found by the status query", "[unit]") {
  WindowsRig rig;
  rig.compute.has_wait_for_process_exit = false;
  rig.compute.exits_before_callback = true;
  rig.compute.exit_code = 9;
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.ran);
  CHECK(out.exit->exit_code == 9);
  rig.CheckNothingLeft();
}

TEST_CASE("a step past its timeout is terminated and reported as timed out", "[unit]") {
  for (bool wait_api : {true, false}) {
    WindowsRig rig;
    rig.compute.process_hangs = true;
    rig.compute.has_wait_for_process_exit = wait_api;
    auto spec = rig.Spec();
    spec.timeout = std::chrono::seconds(1);
    auto out = rig.RunStep(spec);
    INFO("HcsWaitForProcessExit available: " << wait_api);
    REQUIRE(out.ran);
    CHECK(out.exit->timed_out);
    auto log = rig.compute.log();
    CHECK(std::find(log.begin(), log.end(), "HcsTerminateProcess") != log.end());
    rig.CheckNothingLeft();
  }
}

TEST_CASE("Ctrl-C terminates the process and unwinds everything", "[unit]") {
  WindowsRig rig;
  rig.compute.process_hangs = true;
  kiln::core::ResetCancel();
  rig.compute.on_process_start = [] { kiln::core::RequestCancel(); };  // Ctrl-C mid-step
  auto out = rig.RunStep(rig.Spec());
  kiln::core::ResetCancel();
  REQUIRE(out.prepared);
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().code == kiln::core::ErrorCode::kCancelled);
  auto log = rig.compute.log();
  CHECK(std::find(log.begin(), log.end(), "HcsTerminateProcess") != log.end());
  CHECK(out.removed);
  rig.CheckNothingLeft();
}

TEST_CASE("pipes held open after the exit are cancelled after the grace period", "[unit]") {
  WindowsRig rig;
  rig.compute.output = {{false, "last words"}};
  rig.compute.pipes_stay_open = true;
  Captured c;
  auto out = rig.RunStep(Capturing(rig, c));
  REQUIRE(out.ran);
  CHECK(c.out == "last words");
  CHECK(rig.compute.cancelled_pipes() == 2);
  rig.CheckNothingLeft();
}

TEST_CASE("the executor reads layer ids the way the snapshotter made them", "[unit]") {
  WindowsRig rig;
  REQUIRE(rig.RunStep(rig.Spec()).ran);
  kiln::layers::windows::Guid g;
  rig.layer_api.NameToGuid(std::string(64, 'a'), &g);
  CHECK(rig.compute.system_document.find(g.ToString()) != std::string::npos);
}
