// kiln build --print-graph: the build graph of the samples and of multi-stage corner cases (unused
// stage pruned, --target, COPY --from an image, RUN --mount from a stage, per-platform graphs)
// against golden files. UPDATE_GOLDEN=1 rewrites them.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/support/test_env.h"

using namespace kiln::testing;

namespace {

void CheckGolden(const std::string& name, const std::string& actual) {
  fs::path golden = SourceDir() / "tests/builder/golden" / (name + ".graph");
  if (kiln::testing::UpdateGolden()) WriteFile(golden, actual);
  INFO("golden " << golden.string() << " (UPDATE_GOLDEN=1 rewrites it)");
  CHECK(ReadFile(golden) == actual);
}

// Runs `kiln build --print-graph` with `args` from the source root, so paths are relative.
CommandResult PrintGraph(const std::string& args) {
  return Shell("cd '" + SourceDir().string() + "' && '" + KilnBinary().string() +
               "' --root /nonexistent/never-created build --print-graph " + args);
}

constexpr const char* kCorner = R"(ARG BASE=busybox:1.36
FROM ${BASE} AS tools
RUN echo tools > /tools

FROM scratch AS unused
COPY never.txt /

FROM scratch AS lib
COPY lib.txt /x

FROM tools AS build
COPY --from=tools /tools /copied
COPY --from=example.com/team/assets:2 /assets /assets
RUN --mount=type=bind,from=lib,target=/lib cat /lib/x

FROM scratch AS final
COPY --from=build /copied /
COPY --from=2 /x /x
)";

}  // namespace

TEST_CASE("the graph of every sample equals its golden dump", "[unit]") {
  struct Case {
    std::string name, args;
  };
  const std::vector<Case> cases = {
      {"hello-nanoserver", "samples/hello-nanoserver"},
      {"multistage", "samples/multistage"},
      {"multistage-ltsc2019", "--build-arg WINDOWS_TAG=ltsc2019 samples/multistage"},
      {"multi-version",
       "--platform windows/amd64:10.0.17763,windows/amd64:10.0.20348 samples/multi-version"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = PrintGraph(c.args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CheckGolden(c.name, r.out);
  }
  CHECK_FALSE(fs::exists("/nonexistent/never-created"));
}

TEST_CASE("unused stages are pruned and --target keeps only what the target needs", "[unit]") {
  TempDir ctx;
  WriteFile(ctx / "Dockerfile", kCorner);
  struct Case {
    std::string name, args;
  };
  const std::vector<Case> cases = {
      {"corner-final", ""},
      {"corner-target-build", "--target build"},
      {"corner-target-lib", "--target lib"},
      {"corner-build-arg", "--build-arg BASE=alpine:3.20 --target tools"},
      {"corner-platform", "--platform linux/arm64,linux/amd64 --target build"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = PrintGraph(c.args + " " + ctx.path().string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CheckGolden(c.name, r.out);
  }
}

TEST_CASE("graph errors name the Dockerfile line", "[unit]") {
  TempDir ctx;
  WriteFile(ctx / "Dockerfile", kCorner);
  auto r = PrintGraph("--target nosuch " + ctx.path().string());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("nosuch") != std::string::npos);

  WriteFile(ctx / "Dockerfile", "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\n");
  r = PrintGraph(ctx.path().string());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:2:1:") != std::string::npos);
  CHECK(r.err.find("not defined before") != std::string::npos);

  WriteFile(ctx / "Dockerfile",
            "FROM scratch AS a\nRUN --mount=from=a,target=/x true\n");
  r = PrintGraph(ctx.path().string());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:2:1:") != std::string::npos);
}
