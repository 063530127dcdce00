// kiln parse end to end: the Windows samples' dumps, JSON and summaries against golden files,
// Dockerfile lookup, .dockerignore precedence, and one-line errors with exit code 2.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "tests/support/test_env.h"

using namespace kiln::testing;

namespace {

const std::vector<std::string> kSamples = {"hello-nanoserver", "multistage", "multi-version"};

// Runs kiln from the source root so paths (and the JSON "file") are repository-relative.
CommandResult KilnInSource(const std::string& args) {
  return Shell("cd '" + SourceDir().string() + "' && '" + KilnBinary().string() + "' " + args);
}

void CheckGolden(const fs::path& golden, const std::string& actual) {
  if (kiln::testing::UpdateGolden()) WriteFile(golden, actual);
  INFO("golden " << golden.string() << " (UPDATE_GOLDEN=1 rewrites it)");
  CHECK(ReadFile(golden) == actual);
}

}  // namespace

TEST_CASE("kiln parse --dump of every sample equals its golden dump", "[unit]") {
  for (const std::string& s : kSamples) {
    INFO(s);
    auto r = KilnInSource("parse --dump -f samples/" + s + "/Dockerfile");
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CheckGolden(SourceDir() / "tests/cli/golden" / (s + ".dump"), r.out);
  }
}

TEST_CASE("kiln parse --json of every sample equals its golden JSON", "[unit]") {
  for (const std::string& s : kSamples) {
    INFO(s);
    auto r = KilnInSource("parse --json -f samples/" + s + "/Dockerfile");
    REQUIRE(r.exit_code == 0);
    CheckGolden(SourceDir() / "tests/cli/golden" / (s + ".json"), r.out);
  }
}

TEST_CASE("kiln parse summarises each sample for a Windows Server 2022 target", "[unit]") {
  for (const std::string& s : kSamples) {
    INFO(s);
    auto r = KilnInSource("parse --platform windows/amd64:10.0.20348 samples/" + s);
    REQUIRE(r.exit_code == 0);
    CheckGolden(SourceDir() / "tests/cli/golden" / (s + ".summary"), r.out);
  }
}

TEST_CASE("multi-version picks its base stage from the target's os.version", "[unit]") {
  auto r2019 = KilnInSource("parse --platform windows/amd64:10.0.17763 samples/multi-version");
  REQUIRE(r2019.exit_code == 0);
  CHECK(r2019.out.find("[2] app  FROM base-10.0.17763") != std::string::npos);
  auto r2022 = KilnInSource("parse --platform windows/amd64:10.0.20348 samples/multi-version");
  CHECK(r2022.out.find("[2] app  FROM base-10.0.20348") != std::string::npos);
}

TEST_CASE("kiln parse finds CONTEXT/Dockerfile, then CONTEXT/dockerfile, or reads stdin",
          "[unit]") {
  TempDir dir;
  WriteFile(dir / "dockerfile", "FROM scratch\nCOPY a /a\n");
  auto r = Kiln({"parse", "--dump", dir.path().string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "(from \"scratch\")\n(copy \"a\" \"/a\")\n");
  WriteFile(dir / "Dockerfile", "FROM busybox\n");
  CHECK(Kiln({"parse", "--dump", dir.path().string()}).out == "(from \"busybox\")\n");
  auto in = Run({KilnBinary().string(), "parse", "--dump", "-f", "-"}, {}, "FROM stdin\n");
  CHECK(in.exit_code == 0);
  CHECK(in.out == "(from \"stdin\")\n");
}

TEST_CASE("<Dockerfile>.dockerignore next to the Dockerfile wins over the context's", "[unit]") {
  TempDir dir;
  WriteFile(dir / "app.Dockerfile", "FROM scratch\nCOPY . /\n");
  WriteFile(dir / ".dockerignore", "*.log\n");
  auto r = Kiln({"parse", "-f", (dir / "app.Dockerfile").string(), dir.path().string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("/.dockerignore: 1 patterns") != std::string::npos);
  WriteFile(dir / "app.Dockerfile.dockerignore", "a\nb\n!b/keep\n");
  r = Kiln({"parse", "-f", (dir / "app.Dockerfile").string(), dir.path().string()});
  CHECK(r.out.find("app.Dockerfile.dockerignore: 3 patterns") != std::string::npos);
  WriteFile(dir / "app.Dockerfile.dockerignore", "[\n");
  r = Kiln({"parse", "-f", (dir / "app.Dockerfile").string(), dir.path().string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("syntax error in pattern") != std::string::npos);
}

TEST_CASE("bad Dockerfiles give one FILE:LINE:COL line and exit code 2", "[unit]") {
  TempDir dir;
  WriteFile(dir / "Dockerfile", "FROM busybox\n\n  RUN <<EOF\necho never closed\n");
  auto r = Kiln({"parse", "-f", (dir / "Dockerfile").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == (dir / "Dockerfile").string() + ":3:3: unterminated heredoc\n");
  for (const char* mode : {"--dump", "--json"}) {
    auto m = Kiln({"parse", mode, "-f", (dir / "Dockerfile").string()});
    CHECK(m.exit_code == 2);
    CHECK(m.err.find(":3:3: unterminated heredoc\n") != std::string::npos);
  }
  WriteFile(dir / "Dockerfile", "FROM a\nCOPY --chmod=755 --frm=x a b\n");
  r = Kiln({"parse", "--json", "-f", (dir / "Dockerfile").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        (dir / "Dockerfile").string() + ":2:1: unknown flag: --frm (did you mean from?)\n");
}

TEST_CASE("kiln parse usage errors: missing file, --dump with --json, bad platform", "[unit]") {
  auto missing = Kiln({"parse", "-f", "/nonexistent/Dockerfile"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "kiln: cannot read Dockerfile /nonexistent/Dockerfile\n");
  auto both = Kiln({"parse", "--dump", "--json"});
  CHECK(both.exit_code == 2);
  CHECK(std::count(both.err.begin(), both.err.end(), '\n') == 1);
  auto platform = KilnInSource("parse --platform windows// samples/multistage");
  CHECK(platform.exit_code == 2);
  CHECK(std::count(platform.err.begin(), platform.err.end(), '\n') == 1);
}

TEST_CASE("kiln parse never crashes on random bytes", "[unit]") {
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 400);
  const std::string alphabet = "FROM RUN COPY <<EOF\n\\`'\"$ {}[]-=#:\t\r\n";
  for (int i = 0; i < 40; ++i) {
    std::string input;
    int n = len(rng);
    for (int k = 0; k < n; ++k) {
      input.push_back(i % 2 ? static_cast<char>(byte(rng))
                            : alphabet[static_cast<size_t>(byte(rng)) % alphabet.size()]);
    }
    for (const char* mode : {"--dump", "--json"}) {
      auto r = Run({KilnBinary().string(), "parse", mode, "-f", "-"}, {}, "FROM a\n" + input);
      INFO("input " << i << " " << mode);
      CHECK((r.exit_code == 0 || r.exit_code == 2));
      if (r.exit_code == 2) CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
}
