// Store tests that need fork(2): writers in other processes, killed or concurrent. Built on
// Linux only (tests/windows_suites.cmake leaves *_posix_test.cc out of the Windows suites).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "layers/store.h"
#include "tests/layers/store_fixture.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;
namespace fs = std::filesystem;

TEST_CASE("concurrent kiln processes tagging the same store lose no names", "[integration]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  auto m = PutManifest(*s, {"l"});
  std::vector<pid_t> kids;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      auto child = Store::Open((dir / "store").string());
      int bad = !child;
      for (int i = 0; i < 25 && !bad; ++i)
        bad = !(*child)->Tag("app:p" + std::to_string(p) + "-" + std::to_string(i), m);
      _exit(bad);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(s->List()->size() == 100);
}

// [posix]: fork, and a writer killed by SIGKILL in the child.
TEST_CASE("opening the store removes temp files of dead writers and keeps those of live ones",
          "[unit][posix]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  auto live = s->NewWriter();  // a write in progress in this process
  REQUIRE(live);
  REQUIRE((*live)->Write("still writing"));
  // A writer in another process that dies by SIGKILL halfway through.
  pid_t child = fork();
  if (child == 0) {
    auto other = Store::Open((dir / "store").string());
    if (!other) _exit(2);
    auto w = (*other)->NewWriter();
    if (!w || !(*w)->Write("half")) _exit(3);
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  fs::create_directories(dir / "store/tmp/build-fs-dead01/sub");  // a killed build's scratch
  testing::WriteFile(dir / "store/tmp/build-fs-dead01/sub/f", "x");
  testing::WriteFile(dir / "store/index.json.tmp-Ab12Cd", "{");   // a killed atomic replace
  CHECK(CountFiles(dir / "store/tmp") == 3);
  auto again = Store::Open((dir / "store").string());
  REQUIRE(again);
  CHECK(CountFiles(dir / "store/tmp") == 1);  // the live write only
  CHECK_FALSE(fs::exists(dir / "store/index.json.tmp-Ab12Cd"));
  auto d = (*live)->Commit("x/y", nullptr);
  REQUIRE(d);
  CHECK(*ReadBlob(*s, d->digest) == "still writing");
}
