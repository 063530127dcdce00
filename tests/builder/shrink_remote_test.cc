// kiln analyze and kiln shrink on images in a real docker-registry, and build --minimize --push:
// the pushed minimized image is the one `kiln shrink` makes from the plain build.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/builder/build_helpers.h"
#include "tests/support/local_registry.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

void WriteContext(const TempDir& ctx) {
  WriteFile(ctx / "Dockerfile",
            "# escape=`\n"
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
            "COPY big.bin C:\\Windows\\Temp\\big.bin\n"
            "COPY v1.txt C:\\app\\app.txt\n"
            "ENV MODE=prod\n"
            "COPY v2.txt C:\\app\\app.txt\n");
  WriteFile(ctx / "big.bin", std::string(50000, 'b'));
  WriteFile(ctx / "v1.txt", std::string(3000, '1'));
  WriteFile(ctx / "v2.txt", std::string(1000, '2'));
}

nlohmann::json KilnJson(const std::vector<std::string>& args) {
  auto r = Kiln(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("analyze and shrink read registry images and build --minimize pushes the same image",
          "[integration]") {
  LocalRegistry reg;
  TempDir store, fresh, ctx;
  WriteContext(ctx);
  std::map<std::string, std::string> env = {{"SOURCE_DATE_EPOCH", "1700000000"}};
  std::string plain = reg.host() + "/apps/plain:1", mini = reg.host() + "/apps/mini:1";
  for (const auto& [ref, extra] : {std::pair{plain, ""}, std::pair{mini, "--minimize"}}) {
    std::vector<std::string> args = {"--root", store.path().string(), "build", "--push", "-t", ref,
                                     "--build-context", NanoserverContext("ltsc2022"),
                                     ctx.path().string()};
    if (*extra) args.push_back(extra);
    auto r = Kiln(args, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    if (*extra) CHECK(r.err.find("3 junk                      1 files, 50 kB dropped") != std::string::npos);
  }
  // A store that has never seen either image: analyze resolves them in the registry.
  auto before = KilnJson({"--root", fresh.path().string(), "analyze", "--json", plain});
  REQUIRE(before["layer"].size() == 4);
  CHECK(before["layer"][0]["base"] == true);
  // dive: app/app.txt is in two layers (3000 + 1000 bytes): wasted 4000, efficiency
  // (min sizes 1000 + 50000 + base files) / (4000 + 50000 + base files).
  CHECK(before["image"]["inefficientBytes"] == 4000);
  double base_bytes = before["layer"][0]["sizeBytes"].get<double>();
  CHECK(before["image"]["efficiencyScore"].get<double>() ==
        Approx((1000 + 50000 + base_bytes) / (4000 + 50000 + base_bytes)));
  auto shrunk = Kiln({"--root", fresh.path().string(), "shrink", plain, "-t", "local/shrunk:1"});
  INFO(shrunk.err);
  REQUIRE(shrunk.exit_code == 0);
  auto after = KilnJson({"--root", fresh.path().string(), "analyze", "--json", "local/shrunk:1"});
  CHECK(after["layer"].size() == 2);
  CHECK(after["image"]["efficiencyScore"] == 1.0);
  CHECK(after["image"]["inefficientBytes"] == 0);
  // The minimized push is exactly what shrinking the plain build gives.
  auto pushed = KilnJson({"--root", fresh.path().string(), "analyze", "--json", mini});
  CHECK(pushed["kiln"]["manifest"] == after["kiln"]["manifest"]);
  // --ci: the plain image fails lowestEfficiency 0.99, the shrunk one passes.
  auto ci = Kiln({"--root", fresh.path().string(), "analyze", "--ci", "--lowest-efficiency", "0.99", plain});
  CHECK(ci.exit_code == 1);
  CHECK(ci.out.find("FAIL: lowestEfficiency") != std::string::npos);
  ci = Kiln({"--root", fresh.path().string(), "analyze", "--ci", "--lowest-efficiency", "0.99",
             "--highest-wasted-bytes", "1kB", "local/shrunk:1"});
  CHECK(ci.exit_code == 0);
  CHECK(ci.out.find("Result: PASS") != std::string::npos);
}
