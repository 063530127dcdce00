// One Hyper-V isolated RUN step against the recording fakes: the golden call sequence (lend the
// scratch, the utility VM's scratch, grants, create and start the VM, mount and combine in the
// guest, the hosted container, the process, teardown of both, give the scratch back, export),
// cleanup after a failure injected at every call, timeout and Ctrl-C, and the process-isolated
// step unchanged beside it. What the fakes enforce is in fake_compute_api.h ("Rules").
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/cancel.h"
#include "tests/builder/windows_rig.h"

namespace lw = kiln::layers::windows;
using kiln::testing::WindowsRig;

namespace {

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

long Find(const std::vector<std::string>& log, const std::string& prefix, size_t from = 0) {
  for (size_t i = from; i < log.size(); ++i)
    if (log[i].starts_with(prefix)) return long(i);
  return -1;
}

std::vector<std::string> Names(const kiln::testing::CollectingSink& sink) {
  std::vector<std::string> names;
  for (const auto& e : sink.entries) names.push_back(e.name);
  return names;
}

}  // namespace

// The golden (testdata/hcs/hyperv_run_sequence.txt) is kiln's own recorded log: it catches changes
// to the sequence; docs/windows.md traces each call to hcsshim.
TEST_CASE("a Hyper-V isolated RUN step makes the calls of the recorded golden log, in order",
          "[unit]") {
  WindowsRig rig(/*utility_vm=*/true);
  auto out = rig.RunStep(rig.HyperVSpec());
  INFO((out.ran ? "" : out.ran.error().message));
  REQUIRE(out.prepared);
  REQUIRE(out.ran);
  REQUIRE(out.diffed);
  REQUIRE(out.removed);
  CHECK(out.exit->exit_code == 0);
  rig.CheckNothingLeft();
  CHECK(rig.executor->IsolationChosen().empty());  // no pre-flight ran; Run decided itself
  auto path = kiln::testing::SourceDir() / "tests/builder/testdata/hcs/hyperv_run_sequence.txt";
  if (kiln::testing::UpdateGolden()) kiln::testing::WriteFile(path, Join(rig.log));
  CHECK(kiln::testing::ReadFile(path) == Join(rig.log));
  // The command ran in the hosted container, on the scratch disk: its changes are the diff.
  CHECK(Names(out.diff) == std::vector<std::string>{"Files", "Files/app", "Files/app/.wh.old.log",
                                                    "Files/app/stamp.txt", "Hives",
                                                    "Hives/System_Delta"});
  // Two systems: the VM, then the container hosted in it.
  REQUIRE(rig.compute.system_documents.size() == 2);
  auto vm = nlohmann::json::parse(rig.compute.system_documents[0]);
  auto hosted = nlohmann::json::parse(rig.compute.system_documents[1]);
  CHECK(vm.contains("VirtualMachine"));
  CHECK(hosted["HostingSystemId"] == "kiln-step1@vm");
  CHECK(vm["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"] == 1024);
  CHECK(vm["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"] == 2);
}

TEST_CASE("the utility VM's size comes from the options, capped at the host's processors",
          "[unit]") {
  WindowsRig rig(true);
  kiln::builder::windows::HcsExecutorOptions options;
  options.timeouts.poll = std::chrono::milliseconds(5);
  options.utility_vm = {4095, 16};
  options.host_processors = 6;
  rig.executor.emplace(rig.compute, rig.layer_api, rig.host, options, &rig.fs);
  REQUIRE(rig.RunStep(rig.HyperVSpec()).ran);
  auto vm = nlohmann::json::parse(rig.compute.system_documents.at(0));
  CHECK(vm["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"] == 4096);  // even MB
  CHECK(vm["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"] == 6);
  rig.CheckNothingLeft();
}

TEST_CASE("a Hyper-V step fails at every compute call with the VM and container gone after",
          "[unit]") {
  struct Point {
    const char* call;
    int nth;              // which call of that name
    bool synchronous;     // the call itself fails (else its operation)
    const char* message;  // in the error
  };
  for (Point p : {
           Point{"HcsCreateComputeSystem", 0, false, "creating utility VM kiln-step1@vm"},
           Point{"HcsCreateComputeSystem", 0, true, "creating utility VM kiln-step1@vm"},
           Point{"HcsStartComputeSystem", 0, false, "starting utility VM kiln-step1@vm"},
           Point{"HcsModifyComputeSystem", 0, false, "mounting the scratch disk in the utility VM"},
           Point{"HcsModifyComputeSystem", 0, true, "mounting the scratch disk in the utility VM"},
           Point{"HcsModifyComputeSystem", 1, false, "combining the layers in the utility VM"},
           Point{"HcsCreateComputeSystem", 1, false, "creating container kiln-step1"},
           Point{"HcsCreateComputeSystem", 1, true, "creating container kiln-step1"},
           Point{"HcsStartComputeSystem", 1, false, "starting container kiln-step1"},
           Point{"HcsCreateProcess", 0, false, "starting the RUN command"},
           Point{"HcsCreateProcess", 0, true, "starting the RUN command"},
       }) {
    WindowsRig rig(true);
    std::string doc = R"({"Error":-2147024891,"ErrorMessage":"scripted failure"})";
    if (p.synchronous)
      rig.compute.FailCallAt(p.call, p.nth, lw::kWin32AccessDenied);
    else
      rig.compute.FailOperationAt(p.call, p.nth, lw::kWin32AccessDenied, doc);
    auto out = rig.RunStep(rig.HyperVSpec());
    INFO("failing " << p.call << " #" << p.nth << (p.synchronous ? " (call)" : " (operation)"));
    REQUIRE(out.prepared);
    REQUIRE_FALSE(out.ran);
    INFO(out.ran.error().message);
    CHECK(out.ran.error().message.find(p.message) != std::string::npos);
    CHECK(out.ran.error().message.find("0x80070005") != std::string::npos);
    CHECK(out.removed);
    rig.CheckNothingLeft();
    // Whatever was created is stopped and closed before the scratch goes back to the host.
    auto log = rig.log;
    long given_back = Find(log, "PrepareLayer", Find(log, "DeactivateLayer"));
    REQUIRE(given_back >= 0);
    for (long i = given_back; i < long(log.size()); ++i)
      CHECK_FALSE(log[i].starts_with("HcsCloseComputeSystem"));
  }
}

TEST_CASE("a Hyper-V step fails at every layer call of the loan and leaves nothing", "[unit]") {
  struct Point {
    const char* call;
    int skip;             // successful calls of that name before the failing one
    const char* message;
  };
  for (Point p : {Point{"UnprepareLayer", 0, "UnprepareLayer"},
                  Point{"DeactivateLayer", 0, "DeactivateLayer"},
                  Point{"GrantVmAccess", 0, "GrantVmAccess"},
                  Point{"GrantVmAccess", 1, "GrantVmAccess"},
                  Point{"ActivateLayer", 1, "ActivateLayer (giving the scratch back"},
                  Point{"PrepareLayer", 1, "PrepareLayer (giving the scratch back"}}) {
    WindowsRig rig(true);
    rig.layer_api.FailAfter(p.call, p.skip, lw::kWin32AccessDenied);
    auto out = rig.RunStep(rig.HyperVSpec());
    INFO("failing " << p.call << " after " << p.skip);
    REQUIRE(out.prepared);
    REQUIRE_FALSE(out.ran);
    INFO(out.ran.error().message);
    CHECK(out.ran.error().message.find(p.message) != std::string::npos);
    CHECK(out.ran.error().message.find("0x80070005") != std::string::npos);
    CHECK(out.removed);
    rig.CheckNothingLeft();
  }
}

TEST_CASE("a utility VM that neither shuts down nor terminates fails the step, closed anyway",
          "[unit]") {
  WindowsRig rig(true);
  rig.compute.FailOperationAt("HcsShutDownComputeSystem", 1, lw::kHcsInvalidState);
  rig.compute.FailOperationAt("HcsTerminateComputeSystem", 0, lw::kWin32AccessDenied);
  auto out = rig.RunStep(rig.HyperVSpec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("terminating utility VM kiln-step1@vm") != std::string::npos);
  CHECK(rig.compute.open_systems() == 0);
  CHECK(out.removed);
  rig.CheckNothingLeft();
}

TEST_CASE("a Hyper-V step past its timeout and one interrupted by Ctrl-C unwind both systems",
          "[unit]") {
  {
    WindowsRig rig(true);
    rig.compute.process_hangs = true;
    auto spec = rig.HyperVSpec();
    spec.timeout = std::chrono::seconds(1);
    auto out = rig.RunStep(spec);
    REQUIRE(out.ran);
    CHECK(out.exit->timed_out);
    CHECK(Find(rig.log, "HcsTerminateProcess") >= 0);
    CHECK(out.removed);
    rig.CheckNothingLeft();
  }
  {
    WindowsRig rig(true);
    rig.compute.process_hangs = true;
    kiln::core::ResetCancel();
    rig.compute.on_process_start = [] { kiln::core::RequestCancel(); };
    auto out = rig.RunStep(rig.HyperVSpec());
    kiln::core::ResetCancel();
    REQUIRE_FALSE(out.ran);
    CHECK(out.ran.error().code == kiln::core::ErrorCode::kCancelled);
    long terminated = Find(rig.log, "HcsTerminateProcess");
    REQUIRE(terminated >= 0);
    // The container goes first, then the VM, then the scratch comes back.
    long container_down = Find(rig.log, "HcsShutDownComputeSystem", terminated);
    long vm_down = Find(rig.log, "HcsShutDownComputeSystem", container_down + 1);
    CHECK(container_down > terminated);
    CHECK(vm_down > container_down);
    CHECK(Find(rig.log, "ActivateLayer", vm_down) > vm_down);
    CHECK(out.removed);
    rig.CheckNothingLeft();
  }
}

TEST_CASE("a base image without a UtilityVM cannot run Hyper-V isolated, and says why",
          "[unit]") {
  WindowsRig rig(/*utility_vm=*/false);
  auto out = rig.RunStep(rig.HyperVSpec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("no layer of this image has one") != std::string::npos);
  CHECK(Find(rig.log, "HcsCreateComputeSystem") == -1);
  rig.CheckNothingLeft();
}

TEST_CASE("the fakes refuse a VM whose disks the host still holds or were not granted", "[unit]") {
  // What the loan and the grants are for: without them the VM does not start.
  WindowsRig rig(true);
  rig.compute.attached_on_host = [](const std::string&) { return true; };
  auto out = rig.RunStep(rig.HyperVSpec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("0x80070020") != std::string::npos);  // sharing violation
  rig.CheckNothingLeft();
  WindowsRig rig2(true);
  rig2.compute.may_open = [](const std::string&, const std::string&) { return false; };
  out = rig2.RunStep(rig2.HyperVSpec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("starting utility VM") != std::string::npos);
  rig2.CheckNothingLeft();
}

TEST_CASE("a failed wait after HcsCreateProcess with a live process carries on via "
          "HcsGetProcessInfo, in both isolations",
          "[unit]") {
  for (bool hyperv : {false, true}) {
    WindowsRig rig(hyperv);
    rig.compute.create_process_wait_fails = kiln::testing::FakeComputeApi::kInvalidArg;
    rig.compute.output = {{false, "still here\r\n"}};
    std::string out_text;
    auto spec = hyperv ? rig.HyperVSpec() : rig.Spec();
    spec.on_stdout = [&](std::string_view s) { out_text += s; };
    auto out = rig.RunStep(spec);
    INFO("hyperv " << hyperv << ": " << (out.ran ? "" : out.ran.error().message));
    REQUIRE(out.ran);
    CHECK(out.exit->exit_code == 0);
    CHECK(out_text == "still here\r\n");
    long created = Find(rig.log, "HcsCreateProcess");
    REQUIRE(created >= 0);
    CHECK(rig.log[created + 1].starts_with("HcsGetProcessInfo"));
    CHECK(out.diffed);
    rig.CheckNothingLeft();
  }
}

TEST_CASE("when HcsGetProcessInfo fails too the original create error is reported", "[unit]") {
  WindowsRig rig;
  rig.compute.FailOperation("HcsCreateProcess", lw::kWin32AccessDenied,
                            R"({"Error":-2147024891,"ErrorMessage":"scripted failure"})");
  auto out = rig.RunStep(rig.Spec());
  REQUIRE_FALSE(out.ran);
  CHECK(out.ran.error().message.find("starting the RUN command") != std::string::npos);
  CHECK(out.ran.error().message.find("scripted failure") != std::string::npos);
  CHECK(Find(rig.log, "HcsGetProcessInfo") > Find(rig.log, "HcsCreateProcess"));
  rig.CheckNothingLeft();
}
