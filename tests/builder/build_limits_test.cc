// Bounded input (issue 12 item 5): word expansion, the variables of a scope, the Dockerfile's
// size and line length, and the size of the image config. Each must stop with a located
// one-line error (or `kiln: ...`), exit 2, and leave nothing unreadable in the store.
#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace kiln::testing;

namespace {

// Runs kiln under a 2 GiB address-space limit, so a build that allocates without bound fails
// fast instead of taking the machine's memory.
CommandResult BoundedKiln(const std::string& args) {
  return Shell("ulimit -v 2097152; exec '" + KilnBinary().string() + "' " + args);
}

std::string Doubling(int n) {
  std::string out = "ARG A0=x\n";
  for (int i = 1; i <= n; ++i)
    out += "ARG A" + std::to_string(i) + "=${A" + std::to_string(i - 1) + "}${A" +
           std::to_string(i - 1) + "}\n";
  return out;
}

}  // namespace

TEST_CASE("forty doubling ARGs stop at the expansion limit, located", "[integration]") {
  TempDir root, ctx;
  // Meta ARGs: the planner resolves them (--print-graph needs no store).
  WriteFile(ctx / "Dockerfile", Doubling(40) + "FROM scratch\n");
  auto r = BoundedKiln("--root '" + root.path().string() + "' build --print-graph '" +
                       ctx.path().string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "Dockerfile:24:1: the meta ARGs hold more than 16 MiB together, kiln's limit for the "
        "variables of one scope\n");
  // kiln parse resolves them too, with the same rule.
  r = BoundedKiln("parse -f '" + (ctx / "Dockerfile").string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:24:1: the meta ARGs hold more than 16 MiB") != std::string::npos);

  // Stage ARGs: the builder expands them while it runs the stage.
  WriteFile(ctx / "Dockerfile", "FROM scratch\n" + Doubling(40) + "COPY Dockerfile /\n");
  r = BoundedKiln("--root '" + root.path().string() + "' build '" + ctx.path().string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:25:1: the ENV, ARG and LABEL values of this stage hold more than "
                   "16 MiB together") != std::string::npos);
  // One word alone is bounded too.
  WriteFile(ctx / "Dockerfile", "FROM scratch\nARG A=" + std::string(60000, 'a') +
                                    "\nENV B=${A}${A}${A}${A}${A}${A}${A}${A}${A}${A}\n"
                                    "ENV C=${B}${B}${B}${B}${B}${B}${B}${B}${B}${B}\n"
                                    "ENV D=${C}${C}${C}${C}${C}${C}${C}${C}${C}${C}\n");
  r = BoundedKiln("--root '" + root.path().string() + "' build '" + ctx.path().string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:5:1: failed to process \"${C}${C}") != std::string::npos);
  CHECK(r.err.find("\": expansion is larger than 16 MiB, kiln's limit for one word\n") !=
        std::string::npos);
}

TEST_CASE("a config over 16 MiB is refused before it is written", "[integration]") {
  TempDir root, ctx;
  std::string text = "FROM scratch\n";
  for (int i = 0; i < 200000; ++i) text += "ENV A=1\n";  // 200,000 history entries
  WriteFile(ctx / "Dockerfile", text);
  auto r = BoundedKiln("--root '" + root.path().string() + "' build -t big:1 '" +
                       ctx.path().string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("kiln: refusing to store a ") != std::string::npos);
  CHECK(r.err.find("-byte application/vnd.oci.image.config.v1+json: larger than the 16 MiB kiln "
                   "reads back for configs, manifests and indexes\n") != std::string::npos);
  // Nothing unreadable was stored: no blob over 16 MiB, no name.
  auto big = Shell("find '" + root.path().string() + "' -type f -size +16M | wc -l");
  CHECK(big.out == "0\n");
  r = Kiln({"--root", root.path().string(), "images"});
  CHECK(r.out.find("big") == std::string::npos);
}

TEST_CASE("parse and build apply the same file and line limits", "[integration]") {
  TempDir root, ctx;
  WriteFile(ctx / "Dockerfile", "FROM scratch\nRUN echo " + std::string(70000, 'x') + "\n");
  auto parse = Kiln({"parse", "-f", (ctx / "Dockerfile").string()});
  auto build = Kiln({"--root", root.path().string(), "build", "--print-graph", ctx.path().string()});
  CHECK(parse.exit_code == 2);
  CHECK(build.exit_code == 2);
  CHECK(parse.err.find(":2:1: dockerfile line greater than max allowed size of 65535\n") !=
        std::string::npos);
  CHECK(build.err == "Dockerfile:2:1: dockerfile line greater than max allowed size of 65535\n");

  std::string big = "FROM scratch\n";
  while (big.size() <= (size_t{16} << 20)) big += "# " + std::string(1000, 'c') + "\n";
  WriteFile(ctx / "Dockerfile", big);
  std::string expected = "kiln: " + (ctx / "Dockerfile").string() + " is " +
                         std::to_string(big.size()) +
                         " bytes, over kiln's limit of 16 MiB for a Dockerfile\n";
  parse = Kiln({"parse", "-f", (ctx / "Dockerfile").string()});
  build = Kiln({"--root", root.path().string(), "build", "-f", (ctx / "Dockerfile").string(),
                "--print-graph", ctx.path().string()});
  CHECK(parse.exit_code == 2);
  CHECK(parse.err == expected);
  CHECK(build.exit_code == 2);
  CHECK(build.err == expected);
}
