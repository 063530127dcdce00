// The call sequence of one RUN step on Windows — prepare (import, scratch, mount), create, start,
// process, wait, shutdown, export, cleanup — against recording fakes of the thin HCS layer, and
// the cleanup after a failure injected at each point.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/builder/windows_rig.h"

namespace lw = kiln::layers::windows;
using kiln::testing::WindowsRig;

namespace {

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool Contains(const std::vector<std::string>& log, const std::string& line) {
  return std::find(log.begin(), log.end(), line) != log.end();
}

// Index of the first line starting with `prefix` at or after `from`, or -1.
long Find(const std::vector<std::string>& log, const std::string& prefix, size_t from = 0) {
  for (size_t i = from; i < log.size(); ++i)
    if (log[i].starts_with(prefix)) return long(i);
  return -1;
}

}  // namespace

// The golden (testdata/hcs/run_sequence.txt) is kiln's own recorded log: it catches changes to the
// sequence, it does not prove hcsshim or moby make the same calls. What the fakes enforce (order,
// handles, documents) is checked by fake_hcs_test.cc.
TEST_CASE("one RUN step makes the calls of kiln's recorded golden log, in order", "[unit]") {
  WindowsRig rig;
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.prepared);
  REQUIRE(out.ran);
  REQUIRE(out.diffed);
  REQUIRE(out.removed);
  CHECK(out.exit->exit_code == 0);
  rig.CheckNothingLeft();
  auto path = kiln::testing::SourceDir() / "tests/builder/testdata/hcs/run_sequence.txt";
  if (kiln::testing::UpdateGolden()) kiln::testing::WriteFile(path, Join(rig.log));
  CHECK(kiln::testing::ReadFile(path) == Join(rig.log));
  // The diff is the exported scratch, whiteouts included.
  std::vector<std::string> names;
  for (const auto& e : out.diff.entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"Files", "Files/app", "Files/app/.wh.old.log",
                                          "Files/app/stamp.txt", "Hives", "Hives/System_Delta"});
  CHECK(out.diff.Content("Files/app/stamp.txt") == "built\r\n");
  // The container saw the scratch volume and both parents, nearest first.
  CHECK(rig.compute.system_document.find("\\\\\\\\?\\\\Volume{") != std::string::npos);
  CHECK(rig.compute.system_document.find("aaaaaaaa") <
        rig.compute.system_document.find("bbbbbbbb"));
}

TEST_CASE("two RUN steps with different commands export different layers", "[unit]") {
  WindowsRig rig;
  auto first = rig.RunStep(rig.Spec());
  REQUIRE(first.diffed);
  auto spec = rig.Spec();
  spec.command_line = "cmd /S /C \"mkdir C:\\logs && echo two words> C:\\logs\\b.txt\"";
  auto second = rig.RunStep(spec);
  REQUIRE(second.diffed);
  std::vector<std::string> a, b;
  for (const auto& e : first.diff.entries) a.push_back(e.name);
  for (const auto& e : second.diff.entries) b.push_back(e.name);
  CHECK(a == std::vector<std::string>{"Files", "Files/app", "Files/app/.wh.old.log",
                                      "Files/app/stamp.txt", "Hives", "Hives/System_Delta"});
  CHECK(b == std::vector<std::string>{"Files", "Files/logs", "Files/logs/b.txt", "Hives",
                                      "Hives/System_Delta"});
  CHECK(second.diff.Content("Files/logs/b.txt") == "two words\r\n");
  rig.CheckNothingLeft();
}

TEST_CASE("a second RUN step reuses the imported parent layers", "[unit]") {
  WindowsRig rig;
  REQUIRE(rig.RunStep(rig.Spec()).removed);
  rig.log.clear();
  REQUIRE(rig.RunStep(rig.Spec()).removed);
  CHECK(Find(rig.log, "ImportLayer") == -1);
  CHECK(Find(rig.log, "ProcessBaseImage") == -1);
  CHECK(Find(rig.log, "CreateSandboxLayer") == 0);
}

TEST_CASE("a failure at any layer call leaves no mount, scratch or temp folder", "[unit]") {
  struct Point {
    const char* call;
    const char* stage;  // which step reports it
  };
  for (Point p : {Point{"ProcessBaseImage", "prepare"}, Point{"ImportLayer", "prepare"},
                  Point{"CreateSandboxLayer", "prepare"}, Point{"ExpandSandboxSize", "prepare"},
                  Point{"ActivateLayer", "prepare"}, Point{"PrepareLayer", "prepare"},
                  Point{"GetLayerMountPath", "prepare"}, Point{"UnprepareLayer", "diff"},
                  Point{"ExportLayer", "diff"}}) {
    WindowsRig rig;
    rig.layer_api.FailNext(p.call, lw::kWin32AccessDenied);
    auto out = rig.RunStep(rig.Spec());
    INFO("failing " << p.call);
    const kiln::core::Status& failed =
        std::string(p.stage) == "prepare" ? out.prepared : out.diffed;
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find(p.call) != std::string::npos);
    CHECK(failed.error().message.find("0x80070005") != std::string::npos);
    CHECK(out.removed);
    rig.CheckNothingLeft();
    // A failed import leaves no half layer behind: the next step imports it again.
    CHECK(std::filesystem::is_empty(rig.dir.path() / "wf" / "tmp"));
  }
}

TEST_CASE("transient ERROR_NOT_READY from ActivateLayer and PrepareLayer is retried", "[unit]") {
  WindowsRig rig;
  rig.layer_api.FailNext("PrepareLayer", lw::kWin32NotReady, 2);
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.prepared);
  REQUIRE(out.removed);
  // Each failed prepare is undone before the next attempt.
  long first = Find(rig.log, "PrepareLayer");
  CHECK(rig.log[first + 1].starts_with("DeactivateLayer"));
  CHECK(rig.log[first + 2].starts_with("ActivateLayer"));
  rig.CheckNothingLeft();
}

TEST_CASE(
    "a failure at any compute call stops and closes the container before the scratch "
    "is torn down",
    "[unit]") {
  struct Point {
    const char* call;
    bool synchronous;     // the call itself fails (else its operation does)
    const char* message;  // what the error says
    const char* cleanup;  // the container call that must follow
  };
  for (Point p :
       {Point{"HcsCreateComputeSystem", false, "creating container kiln-step1",
              "HcsTerminateComputeSystem"},
        Point{"HcsCreateComputeSystem", true, "creating container kiln-step1", ""},
        Point{"HcsStartComputeSystem", false, "starting container kiln-step1",
              "HcsTerminateComputeSystem"},
        Point{"HcsStartComputeSystem", true, "starting container kiln-step1",
              "HcsTerminateComputeSystem"},
        Point{"HcsCreateProcess", false, "starting the RUN command", "HcsShutDownComputeSystem"},
        Point{"HcsCreateProcess", true, "starting the RUN command", "HcsShutDownComputeSystem"},
        Point{"HcsWaitForProcessExit", true, "waiting for the RUN command",
              "HcsTerminateProcess"}}) {
    WindowsRig rig;
    std::string doc = R"({"Error":-2147024891,"ErrorMessage":"scripted failure"})";
    if (p.synchronous)
      rig.compute.FailCall(p.call, lw::kWin32AccessDenied);
    else
      rig.compute.FailOperation(p.call, lw::kWin32AccessDenied, doc);
    auto out = rig.RunStep(rig.Spec());
    INFO("failing " << p.call << (p.synchronous ? " (call)" : " (operation)"));
    REQUIRE(out.prepared);
    REQUIRE_FALSE(out.ran);
    CHECK(out.ran.error().message.find(p.message) != std::string::npos);
    CHECK(out.ran.error().message.find("0x80070005") != std::string::npos);
    if (!p.synchronous)
      CHECK(out.ran.error().message.find("scripted failure") != std::string::npos);
    CHECK(out.removed);
    rig.CheckNothingLeft();
    long failed = Find(rig.log, p.call);
    REQUIRE(failed >= 0);
    if (*p.cleanup) CHECK(Find(rig.log, p.cleanup, failed + 1) > failed);
    long closed = Find(rig.log, "HcsCloseComputeSystem");
    long unprepare = Find(rig.log, "UnprepareLayer");
    if (closed >= 0) CHECK(closed < unprepare);
  }
}

TEST_CASE("a shutdown that fails falls back to terminate and the step still succeeds", "[unit]") {
  WindowsRig rig;
  rig.compute.FailOperation("HcsShutDownComputeSystem", lw::kHcsInvalidState);
  auto out = rig.RunStep(rig.Spec());
  REQUIRE(out.ran);
  CHECK(Find(rig.log, "HcsTerminateComputeSystem") > Find(rig.log, "HcsShutDownComputeSystem"));
  rig.CheckNothingLeft();
}

TEST_CASE("a container that neither shuts down nor terminates fails the step", "[unit]") {
  WindowsRig rig;
  rig.compute.FailOperation("HcsShutDownComputeSystem", lw::kHcsInvalidState);
  rig.compute.FailOperation("HcsTerminateComputeSystem", lw::kWin32AccessDenied);
  auto out = rig.RunStep(rig.Spec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("terminating container") != std::string::npos);
  CHECK(rig.compute.open_systems() == 0);  // closed anyway (ShouldTerminateOnLastHandleClosed)
}

TEST_CASE("cleanup that fails can be retried until nothing is left", "[unit]") {
  for (const char* call : {"DeactivateLayer", "DestroyLayer"}) {
    WindowsRig rig;
    rig.layer_api.FailNext(call, lw::kWin32SharingViolation);
    auto out = rig.RunStep(rig.Spec());
    INFO("failing " << call);
    REQUIRE(out.diffed);
    REQUIRE_FALSE(out.removed);
    CHECK(out.removed.error().message.find(call) != std::string::npos);
    REQUIRE(rig.snap_for_retry);
    CHECK(rig.snapshotter->Remove(*rig.snap_for_retry));
    CHECK(rig.snapshotter->Remove(*rig.snap_for_retry));  // and twice is fine
    rig.CheckNothingLeft();
  }
}

TEST_CASE("leftover -removing folders are swept", "[unit]") {
  WindowsRig rig;
  auto stale = rig.dir.path() / "wf" / "scratch" / "old-removing";
  std::filesystem::create_directories(stale);
  rig.snapshotter->Sweep();
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK(Contains(rig.log, "DestroyLayer scratch/old-removing"));
}
