#include "builder/linux/runc_executor.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "builder/output_tail.h"
#include "core/cancel.h"
#include "tests/builder/runc_fixture.h"

using kiln::builder::ExitStatus;
using kiln::builder::OutputTail;
using kiln::builder::StepFailure;
using kiln::core::ErrorCode;
using kiln::testing::RuncFixture;
namespace fs = std::filesystem;

TEST_CASE("a RUN command runs in a busybox root and streams stdout and stderr", "[integration]") {
  RuncFixture f;
  auto status = f.executor.Run(f.Spec("echo to-out; echo to-err >&2; echo $0"));
  REQUIRE(status);
  CHECK(status->exit_code == 0);
  CHECK_FALSE(status->timed_out);
  CHECK(f.out == "to-out\n/bin/sh\n");
  CHECK(f.err == "to-err\n");
  f.RequireNothingLeft();
}

TEST_CASE("env, user, groups, working dir, hostname and HOME reach the command", "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("echo \"$FOO|$(id -u)|$(id -g)|$(id -G)|$(pwd)|$(hostname)|$HOME|$PATH\"");
  spec.env = {"FOO=bar baz", "PATH=/bin"};
  spec.user = "app";
  spec.working_dir = "/work/dir";
  spec.hostname = "builder7";
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code == 0);
  CHECK(f.out == "bar baz|1000|1000|1000 50|/work/dir|builder7|/home/app|/bin\n");
  CHECK(fs::is_directory(f.rootfs / "work/dir"));  // created, and kept: it belongs to the step
  f.RequireNothingLeft();
}

TEST_CASE("a numeric uid:gid needs no passwd entry and a group name is looked up",
          "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("echo $(id -u):$(id -g):$(id -G)");
  spec.user = "1234:5678";
  REQUIRE(f.executor.Run(spec));
  spec.user = "app:staff";
  REQUIRE(f.executor.Run(spec));
  CHECK(f.out == "1234:5678:5678\n1000:50:50\n");
  f.RequireNothingLeft();
}

TEST_CASE("an unknown user name fails before anything runs", "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("touch /ran");
  spec.user = "ghost";
  auto status = f.executor.Run(spec);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kInvalidInput);
  CHECK_THAT(status.error().message, Catch::Contains("unable to find user ghost"));
  CHECK_FALSE(fs::exists(f.rootfs / "ran"));
  f.RequireNothingLeft();
}

TEST_CASE("a step has only a loopback interface unless it asks for the host network",
          "[integration]") {
  RuncFixture f;
  REQUIRE(f.executor.Run(f.Spec("ls /sys/class/net; cat /sys/class/net/lo/operstate")));
  CHECK(f.out == "lo\nunknown\n");
  auto host = kiln::testing::Run({"ls", "/sys/class/net"});
  REQUIRE(host.out != "lo\n");  // the host must have another interface for this to mean much
  f.out.clear();
  auto spec = f.Spec("ls /sys/class/net");
  spec.network_host = true;
  REQUIRE(f.executor.Run(spec));
  CHECK(f.out == host.out);
  f.RequireNothingLeft();
}

TEST_CASE("a non-zero exit is an exit status and the failure names command and last lines",
          "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("for i in $(seq 1 30); do echo line$i; done; exit 3");
  spec.stage = "build";
  spec.where.file = "Dockerfile";
  spec.where.start = {4, 1};
  OutputTail tail;
  spec.on_stdout = [&](std::string_view s) { tail.Append(s); };
  auto status = f.executor.Run(spec);
  REQUIRE(status);
  CHECK(status->exit_code == 3);
  auto error = StepFailure(spec, *status, tail);
  CHECK(error.code == ErrorCode::kRuntime);
  CHECK_THAT(error.ToString(),
             Catch::StartsWith("Dockerfile:4:1: RUN /bin/sh -c 'for i in $(seq 1 30); do echo "
                               "line$i; done; exit 3' (stage build) failed with exit code 3; "
                               "last 20 lines of output:\n  | line11\n"));
  CHECK_THAT(error.message, Catch::EndsWith("\n  | line30"));
  f.RequireNothingLeft();
}

TEST_CASE("a missing shell is a clear start error, not an exit code", "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("true");
  spec.argv[0] = "/bin/bash";
  auto status = f.executor.Run(spec);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kRuntime);
  CHECK_THAT(status.error().message, Catch::Contains("cannot start the command"));
  CHECK_THAT(status.error().message, Catch::Contains("the image has no /bin/bash"));
  f.RequireNothingLeft();
}

TEST_CASE("a step past its timeout is killed and reported as timed out", "[integration]") {
  RuncFixture f;
  auto spec = f.Spec("echo started; sleep 30 & sleep 30");
  spec.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  auto status = f.executor.Run(spec);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(status);
  CHECK(status->timed_out);
  CHECK(took < std::chrono::seconds(8));
  CHECK(f.out == "started\n");
  CHECK_THAT(StepFailure(spec, *status, OutputTail()).message,
             Catch::Contains("timed out after 1s and was killed"));
  f.RequireNothingLeft();
}

TEST_CASE("Ctrl-C stops a running step and cleans up", "[integration]") {
  RuncFixture f;
  kiln::core::ResetCancel();
  std::thread presser([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    kiln::core::RequestCancel();
  });
  auto status = f.executor.Run(f.Spec("sleep 30"));
  presser.join();
  kiln::core::ResetCancel();
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kCancelled);
  f.RequireNothingLeft();
}
