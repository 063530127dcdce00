// StepMounts' host side when the host fails it: the error says what failed and why.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "builder/linux/step_mounts.h"
#include "tests/support/test_env.h"

using namespace kiln;
using kiln::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("an /etc/hosts that cannot be written gives the reason", "[unit]") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "root");
  int root = open((tmp.path() / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(root >= 0);
  builder::RunSpec spec;
  {
    // The bundle's hosts file lands on a full device: the write (or the flush) fails.
    fs::create_directories(tmp.path() / "full");
    fs::create_symlink("/dev/full", tmp.path() / "full" / "hosts");
    builder::StepMounts mounts(root, (tmp.path() / "full").string());
    auto r = mounts.Prepare(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "cannot write " + (tmp.path() / "full" / "hosts").string() + ": No space left on device");
  }
  {
    builder::StepMounts mounts(root, (tmp.path() / "missing").string());
    auto r = mounts.Prepare(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "cannot write " + (tmp.path() / "missing" / "hosts").string() +
                                   ": No such file or directory");
  }
  close(root);
}
