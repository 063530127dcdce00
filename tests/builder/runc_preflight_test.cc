#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "builder/linux/runc_executor.h"
#include "core/platform.h"
#include "tests/builder/runc_fixture.h"

using kiln::builder::RuncExecutor;
using kiln::builder::RuncExecutorOptions;
using kiln::core::ErrorCode;
using kiln::core::Platform;
using kiln::testing::RuncFixture;
using kiln::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("preflight accepts linux targets of this host's architecture", "[integration]") {
  RuncFixture f;
  CHECK(f.executor.Preflight(Platform::HostLinux()));
}

TEST_CASE("preflight names what is missing: a Windows host, another CPU, runc", "[integration]") {
  RuncFixture f;
  auto win = f.executor.Preflight(*Platform::Parse("windows/amd64:10.0.20348"));
  REQUIRE_FALSE(win);
  CHECK(win.error().code == ErrorCode::kUnsupported);
  CHECK_THAT(win.error().message, Catch::Contains("need a windows host"));
  auto other = Platform::HostLinux();
  other.architecture = other.architecture == "arm64" ? "amd64" : "arm64";
  auto arch = f.executor.Preflight(other);
  REQUIRE_FALSE(arch);
  CHECK_THAT(arch.error().message, Catch::Contains("does not emulate other CPUs"));
  RuncExecutor no_runc(RuncExecutorOptions{(f.tmp / "s").string(), "/nonexistent/runc"});
  auto missing = no_runc.Preflight(Platform::HostLinux());
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("runc is needed"));
  CHECK_THAT(missing.error().message, Catch::Contains("apt-get install runc"));
}

TEST_CASE("preflight without root says root is needed", "[integration]") {
  TempDir tmp;
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    RuncExecutor executor(RuncExecutorOptions{"/tmp/kiln-unused-state"});
    auto status = executor.Preflight(Platform::HostLinux());
    std::string msg = status ? "ok" : status.error().message;
    (void)!write(pipe_fds[1], msg.data(), msg.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  char buf[512] = {};
  ssize_t n = read(pipe_fds[0], buf, sizeof buf - 1);
  close(pipe_fds[0]);
  waitpid(pid, nullptr, 0);
  REQUIRE(n > 0);
  CHECK_THAT(std::string(buf), Catch::Contains("need root"));
}

TEST_CASE("leftovers of a killed kiln process are removed by the next preflight", "[integration]") {
  RuncFixture f;
  pid_t pid = fork();
  if (pid == 0) {  // a "kiln" that gets killed mid-step
    auto spec = f.Spec("sleep 60");
    spec.on_stdout = nullptr;
    spec.on_stderr = nullptr;
    (void)f.executor.Run(spec);
    _exit(0);
  }
  auto list = [&] {
    return kiln::testing::Run({"runc", "--root", (f.state / "state").string(), "list", "-q"}).out;
  };
  for (int i = 0; i < 100 && list().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE_FALSE(list().empty());
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  CHECK_FALSE(list().empty());  // the container outlives the killed process
  CHECK_FALSE(fs::is_empty(f.state / "bundles"));
  RuncExecutor next(RuncExecutorOptions{f.state.string()});
  REQUIRE(next.Preflight(Platform::HostLinux()));
  f.RequireNothingLeft();
}
