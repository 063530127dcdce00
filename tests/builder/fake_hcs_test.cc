// The HCS fakes say no where Windows says no (Microsoft's HCS reference, summarised with sources in
// ../shared/docs/hcs-api.md): calls out of order, on closed handles, with documents HCS would not
// accept. Without this the RUN-step tests would pass against an executor that broke the rules.
#include <catch2/catch.hpp>

#include "tests/builder/windows_rig.h"

namespace bw = kiln::builder::windows;
namespace lw = kiln::layers::windows;
using kiln::testing::FakeComputeApi;
using kiln::testing::WindowsRig;

namespace {

const char* kContainer =
    R"({"Owner":"kiln","SchemaVersion":{"Major":2,"Minor":1},"Container":{"Storage":{)"
    R"("Layers":[{"Id":"0c8a7f2e-3b61-5d7e-9a43-6f1e2d9b0a11","Path":"C:\\l\\base"}],)"
    R"("Path":"\\\\?\\Volume{3f0c9a52-1d2e-4b7a-9c61-2a5f8d7e4b10}\\"}}})";
const char* kProcess = R"({"CommandLine":"cmd /S /C echo hi","CreateStdOutPipe":true})";

// Runs one call with a fresh operation; returns (call result, operation result).
template <typename F>
std::pair<lw::HResult, lw::HResult> Call(FakeComputeApi& api, F f) {
  bw::OperationHandle op = api.CreateOperation();
  lw::HResult submitted = f(op);
  lw::HResult outcome = api.WaitForOperationResult(op, 0).hr;
  api.CloseOperation(op);
  return {submitted, outcome};
}

bw::SystemHandle Create(FakeComputeApi& api, const std::string& id = "kiln-a",
                        const std::string& doc = kContainer) {
  bw::SystemHandle s = bw::SystemHandle::kNone;
  auto [call, op] = Call(api, [&](auto o) { return api.CreateComputeSystem(id, doc, o, &s); });
  REQUIRE(call == 0);
  INFO("create: " << lw::HResultHex(op));
  return s;
}

}  // namespace

TEST_CASE("fake HCS: a process in a container that was never started is refused", "[unit]") {
  FakeComputeApi api;
  bw::SystemHandle s = Create(api);
  bw::ProcessHandle p = bw::ProcessHandle::kNone;
  auto [call, op] = Call(api, [&](auto o) { return api.CreateSystemProcess(s, kProcess, o, &p); });
  CHECK(call == 0);                         // submitted...
  CHECK(op == lw::kHcsInvalidState);        // ...and refused by its operation
  REQUIRE(Call(api, [&](auto o) { return api.StartComputeSystem(s, o); }).second == 0);
  // Started twice: out of order as well.
  CHECK(Call(api, [&](auto o) { return api.StartComputeSystem(s, o); }).second ==
        lw::kHcsInvalidState);
  bw::ProcessHandle p2 = bw::ProcessHandle::kNone;
  CHECK(Call(api, [&](auto o) { return api.CreateSystemProcess(s, kProcess, o, &p2); }).second ==
        0);
  api.CloseProcess(p);
  api.CloseProcess(p2);
  api.CloseComputeSystem(s);
  CHECK(api.violations().empty());
}

TEST_CASE("fake HCS: calls on closed or unknown handles are refused with E_HANDLE", "[unit]") {
  FakeComputeApi api;
  bw::SystemHandle s = Create(api);
  REQUIRE(Call(api, [&](auto o) { return api.StartComputeSystem(s, o); }).second == 0);
  api.CloseComputeSystem(s);
  CHECK(Call(api, [&](auto o) { return api.ShutDownComputeSystem(s, o); }).first ==
        FakeComputeApi::kInvalidHandle);
  bw::ProcessHandle p = bw::ProcessHandle::kNone;
  CHECK(Call(api, [&](auto o) { return api.CreateSystemProcess(s, kProcess, o, &p); }).first ==
        FakeComputeApi::kInvalidHandle);
  CHECK(Call(api, [&](auto o) {
          return api.TerminateProcess(bw::ProcessHandle(77), o);
        }).first == FakeComputeApi::kInvalidHandle);
  // A closed operation cannot track a call, nor be waited on.
  bw::OperationHandle op = api.CreateOperation();
  api.CloseOperation(op);
  CHECK(api.WaitForOperationResult(op, 0).hr == FakeComputeApi::kInvalidHandle);
  bw::SystemHandle s2 = bw::SystemHandle::kNone;
  CHECK(api.CreateComputeSystem("kiln-b", kContainer, op, &s2) == FakeComputeApi::kInvalidHandle);
  // Closing twice is what Windows may crash on: recorded.
  api.CloseComputeSystem(s);
  api.CloseOperation(op);
  CHECK(api.violations() == std::vector<std::string>{"HcsCloseComputeSystem of a closed handle",
                                                     "HcsCloseOperation of a closed handle"});
}

TEST_CASE("fake HCS: operations report not-started, and process info only for HcsCreateProcess",
          "[unit]") {
  FakeComputeApi api;
  bw::OperationHandle op = api.CreateOperation();
  CHECK(api.WaitForOperationResult(op, 0).hr == lw::kHcsOperationNotStarted);
  bw::SystemHandle s = bw::SystemHandle::kNone;
  REQUIRE(api.CreateComputeSystem("kiln-a", kContainer, op, &s) == 0);
  bw::ProcessInfo info;
  CHECK(api.WaitForOperationResultAndProcessInfo(op, 0, &info).hr == FakeComputeApi::kInvalidArg);
  // One operation tracks one call.
  CHECK(api.StartComputeSystem(s, op) == FakeComputeApi::kInvalidHandle);
  api.CloseOperation(op);
  api.CloseComputeSystem(s);
}

TEST_CASE("fake HCS: documents HCS would not accept fail with HCS_E_INVALID_JSON", "[unit]") {
  FakeComputeApi api;
  for (std::string doc :
       {std::string("not json"), std::string(R"({"Owner":"kiln"})"),
        std::string(R"({"Container":{},"VirtualMachine":{}})"),
        std::string(R"({"Container":{"Storage":{"Layers":[],"Path":"C:\\scratch"}}})"),
        std::string(R"({"Container":{"Storage":{"Layers":[{"Path":"C:\\l"}],)"
                    R"("Path":"\\\\?\\Volume{x}"}}})")}) {
    INFO(doc);
    bw::SystemHandle s = bw::SystemHandle::kNone;
    auto [call, op] = Call(api, [&](auto o) { return api.CreateComputeSystem("k", doc, o, &s); });
    CHECK(call == 0);
    CHECK(op == lw::kHcsInvalidJson);
    api.CloseComputeSystem(s);  // the handle is owned even when creation failed
  }
  bw::SystemHandle s = Create(api);
  REQUIRE(Call(api, [&](auto o) { return api.StartComputeSystem(s, o); }).second == 0);
  for (const char* params : {"[]", R"({"User":"x"})", "{"}) {
    INFO(params);
    bw::ProcessHandle p = bw::ProcessHandle::kNone;
    CHECK(Call(api, [&](auto o) { return api.CreateSystemProcess(s, params, o, &p); }).second ==
          lw::kHcsInvalidJson);
    api.CloseProcess(p);
  }
  // The same id twice.
  bw::SystemHandle dup = bw::SystemHandle::kNone;
  CHECK(Call(api, [&](auto o) {
          return api.CreateComputeSystem("kiln-a", kContainer, o, &dup);
        }).second == lw::kHcsSystemAlreadyExists);
  api.CloseComputeSystem(dup);
  api.CloseComputeSystem(s);
  CHECK(api.violations().empty());
}

TEST_CASE("fake HCS: stopping a stopped system or killing an exited process is refused",
          "[unit]") {
  FakeComputeApi api;
  bw::SystemHandle s = Create(api);
  REQUIRE(Call(api, [&](auto o) { return api.StartComputeSystem(s, o); }).second == 0);
  bw::ProcessHandle p = bw::ProcessHandle::kNone;
  REQUIRE(Call(api, [&](auto o) { return api.CreateSystemProcess(s, kProcess, o, &p); }).second ==
          0);
  REQUIRE(api.WaitForProcessExit(p, 0).hr == 0);
  CHECK(Call(api, [&](auto o) { return api.TerminateProcess(p, o); }).second ==
        lw::kHcsProcessAlreadyStopped);
  CHECK(Call(api, [&](auto o) { return api.ShutDownComputeSystem(s, o); }).second == 0);
  CHECK(Call(api, [&](auto o) { return api.TerminateComputeSystem(s, o); }).second ==
        lw::kHcsSystemAlreadyStopped);
  bw::ProcessHandle late = bw::ProcessHandle::kNone;
  CHECK(Call(api, [&](auto o) { return api.CreateSystemProcess(s, kProcess, o, &late); }).second ==
        lw::kHcsInvalidState);
  api.CloseProcess(p);
  api.CloseProcess(late);
  api.CloseComputeSystem(s);
  CHECK(api.open_processes() == 0);
  CHECK(api.violations().empty());
}

TEST_CASE("fake layer API: export and prepare out of order are refused", "[unit]") {
  WindowsRig rig;
  auto scratch = (rig.dir.path() / "wf" / "scratch" / "x").string();
  std::filesystem::create_directories(rig.dir.path() / "wf" / "scratch");
  CHECK(rig.layer_api.ActivateLayer(scratch) == lw::kWin32PathNotFound);  // never created
  REQUIRE(rig.layer_api.CreateSandboxLayer(scratch, {}) == 0);
  CHECK(rig.layer_api.PrepareLayer(scratch, {}) == lw::kHcsInvalidState);  // not activated
  REQUIRE(rig.layer_api.ActivateLayer(scratch) == 0);
  REQUIRE(rig.layer_api.PrepareLayer(scratch, {}) == 0);
  auto out = (rig.dir.path() / "out").string();
  std::filesystem::create_directory(out);
  CHECK(rig.layer_api.ExportLayer(scratch, out, {}) == lw::kHcsInvalidState);  // still prepared
  CHECK(rig.layer_api.DestroyLayer(scratch) == lw::kWin32SharingViolation);    // in use
  REQUIRE(rig.layer_api.UnprepareLayer(scratch) == 0);
  CHECK(rig.layer_api.ExportLayer(scratch, out, {}) == 0);
  REQUIRE(rig.layer_api.DeactivateLayer(scratch) == 0);
  CHECK(rig.layer_api.DestroyLayer(scratch) == 0);
}
