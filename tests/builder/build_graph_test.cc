// kiln build --print-graph: the build graph of the samples and of multi-stage corner cases (unused
// stage pruned, --target, COPY --from an image, RUN --mount from a stage, per-platform graphs)
// against golden files. UPDATE_GOLDEN=1 rewrites them.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "tests/support/test_env.h"

using namespace kiln::testing;

namespace {

void CheckGolden(const std::string& name, const std::string& actual) {
  fs::path golden = SourceDir() / "tests/builder/golden" / (name + ".graph");
  if (kiln::testing::UpdateGolden()) WriteFile(golden, actual);
  INFO("golden " << golden.string() << " (UPDATE_GOLDEN=1 rewrites it)");
  CHECK(ReadFile(golden) == actual);
}

// Runs `kiln build --print-graph` with `args`, words split at spaces; a word naming a folder of
// the source tree (samples/...) is made absolute, with the host's separators (kiln.exe's CLI11
// takes an argument starting with '/' for a Windows-style option). No shell: runs on Windows too.
CommandResult PrintGraph(const std::string& args) {
  std::vector<std::string> argv{"--root", "/nonexistent/never-created", "build", "--print-graph"};
  std::istringstream words(args);
  for (std::string w; words >> w;)
    argv.push_back(w.starts_with("samples/") ? (SourceDir() / w).make_preferred().string() : w);
  return Kiln(argv);
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

// Planner cases from real Dockerfiles (issue 13). BuildKit records RUN --mount `from` when it
// parses the mount and expands the other options later (instructions/commands_runmount.go,
// parseMount with a nil expander), refuses COPY --from=$VAR while planning
// (dockerfile2llb/convert.go, toCommand) and compares meta-ARG names the way the target's
// environment does.
TEST_CASE("RUN --mount from a stage keeps its edge when other options need variables", "[unit]") {
  TempDir ctx;
  // moby/moby's Dockerfile does this: target and cache id use ARGs, `from` names a stage.
  WriteFile(ctx / "Dockerfile", R"(FROM scratch AS src
COPY a /a

FROM scratch AS tools
COPY t /t

FROM busybox:1.36 AS final
ARG V=1
ARG TARGETPLATFORM
RUN --mount=from=src,target=/y$V --mount=type=cache,id=c-${TARGETPLATFORM},target=/c,from=tools cat /y1/a
)");
  auto r = PrintGraph(ctx.path().string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CheckGolden("mount-from-with-variables", r.out);
}

TEST_CASE("COPY --from with a variable is refused while planning, located", "[unit]") {
  TempDir ctx;
  for (const char* from : {"$SRC", "${SRC}", "x${SRC:-}"}) {
    INFO(from);
    WriteFile(ctx / "Dockerfile", std::string("ARG SRC=src\nFROM scratch AS src\nCOPY a /a\n\n"
                                              "FROM scratch\nCOPY --from=") +
                                      from + " /a /a\n");
    auto r = PrintGraph(ctx.path().string());
    CHECK(r.exit_code == 2);
    CHECK(r.err == "Dockerfile:6:1: variable expansion is not supported for --from, define a new "
                   "stage with FROM using ARG from global scope as a workaround\n");
    CHECK(r.out.empty());
  }
  // A lone '$' is no variable: BuildKit keeps it (and so it names an image). Escapes and quotes
  // are gone before: the flag parser removes them (--from=a\b is "ab" for BuildKit too).
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY --from=img$ /a /a\n");
  auto r = PrintGraph(ctx.path().string());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("<- image img$ (at 2:1)") != std::string::npos);
}

TEST_CASE("meta ARG names are case-insensitive for Windows targets in the planner too", "[unit]") {
  TempDir ctx;
  WriteFile(ctx / "Dockerfile",
            "ARG img=mcr.microsoft.com/windows/nanoserver:ltsc2022\nARG Tag=x\nFROM $IMG AS base\n"
            "FROM base\nRUN echo ${TAG}\n");
  auto r = PrintGraph("--platform windows/amd64 " + ctx.path().string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CheckGolden("windows-meta-arg-case", r.out);
  // Linux targets keep exact names, as BuildKit on Linux does: $IMG is unset there.
  r = PrintGraph("--platform linux/amd64 " + ctx.path().string());
  CHECK(r.exit_code == 2);
  CHECK(r.err == "Dockerfile:3:1: base name ($IMG) should not be blank\n");
}

// BuildKit adds the stages an ONBUILD trigger of the base image reads when it resolves that
// image (dockerfile2llb/convert.go, initOnBuildTriggers). kiln plans before it reads base
// images, so such a stage may have been pruned: the build must say so, not wait for it forever.
TEST_CASE("an ONBUILD COPY --from a stage the plan pruned fails located instead of hanging",
          "[integration]") {
  TempDir root, base_ctx, ctx;
  WriteFile(base_ctx / "Dockerfile", "FROM scratch\nCOPY b /b\nONBUILD COPY --from=helper /h /h\n");
  WriteFile(base_ctx / "b", "b");
  auto r = Kiln({"--root", root.path().string(), "build", "-t", "onbuild-base:1",
                 base_ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  WriteFile(ctx / "Dockerfile", "FROM scratch AS helper\nCOPY h /h\n\nFROM onbuild-base:1\nCOPY b /c\n");
  WriteFile(ctx / "h", "h");
  WriteFile(ctx / "b", "b");
  r = Shell("timeout 60 '" + KilnBinary().string() + "' --root '" + root.path().string() +
            "' build '" + ctx.path().string() + "'");
  INFO(r.err);
  CHECK(r.exit_code == 2);  // 124 = still waiting after 60 s
  CHECK(r.err.find("Dockerfile:4:1: ") == 0);
  CHECK(r.err.find("ONBUILD") != std::string::npos);
  CHECK(r.err.find("helper") != std::string::npos);
}
