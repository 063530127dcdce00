// Shared set-up of the runc executor tests: a busybox root, an executor with its state in a temp
// dir, captured output, and the "nothing left behind" check every test ends with.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "builder/executor.h"
#include "builder/linux/runc_executor.h"
#include "tests/support/busybox_rootfs.h"
#include "tests/support/test_env.h"

namespace kiln::testing {

struct RuncFixture {
  TempDir tmp;
  std::filesystem::path rootfs = tmp / "rootfs";
  std::filesystem::path state = tmp / "runc";
  builder::RuncExecutor executor{builder::RuncExecutorOptions{state.string()}};
  std::string out, err;

  explicit RuncFixture(bool with_etc = true) {
    REQUIRE(::geteuid() == 0);  // runc and mounts need root; run the integration tests as root
    MakeBusyboxRootfs(rootfs, with_etc);
  }

  builder::RunSpec Spec(const std::string& script) {
    builder::RunSpec spec;
    spec.id = "kiln-test";
    spec.rootfs = rootfs.string();
    spec.argv = {"/bin/sh", "-c", script};
    spec.on_stdout = [this](std::string_view s) { out.append(s); };
    spec.on_stderr = [this](std::string_view s) { err.append(s); };
    return spec;
  }

  // No runc container, bundle, lock file or mount under the temp dir is left.
  void RequireNothingLeft() {
    auto list = Run({"runc", "--root", (state / "state").string(), "list", "-q"});
    CHECK(list.exit_code == 0);
    CHECK(list.out == "");
    for (const char* dir : {"bundles", "locks"}) CHECK(std::filesystem::is_empty(state / dir));
    auto mounts = Run({"findmnt", "-rn", "-o", "TARGET"});
    CHECK(mounts.out.find(tmp.path().string()) == std::string::npos);
  }
};

inline builder::RunMount Mount(builder::RunMount::Type type, std::string source, std::string target,
                               bool read_only = false) {
  builder::RunMount m;
  m.type = type;
  m.source = std::move(source);
  m.target = std::move(target);
  m.read_only = read_only;
  return m;
}

}  // namespace kiln::testing
