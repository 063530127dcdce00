#include <catch2/catch.hpp>

#include <fstream>

#include "builder/layout_reader.h"
#include "tests/support/test_env.h"

using namespace kiln;
using kiln::testing::TempDir;

namespace {

void MakeLayout(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  std::ofstream(dir / "index.json") << R"({"schemaVersion":2,"manifests":[]})";
}

}  // namespace

TEST_CASE("an oci-layout spec's tag is a valid tag after the last ':', anything else is the path", "[unit]") {
  TempDir tmp;
  MakeLayout(tmp / "plain");
  auto tagged = builder::LayoutReader::Open((tmp / "plain").string() + ":ltsc2022");
  REQUIRE(tagged);
  CHECK(tagged->dir() == (tmp / "plain").string());
  // What follows the last ':' is no tag (a Windows drive "Z:\dir" looks like this): the whole
  // spec is the directory. Before, the directory was cut at the colon.
  MakeLayout(tmp / "drive:\\layouts\\base");
  auto whole = builder::LayoutReader::Open((tmp / "drive:\\layouts\\base").string());
  REQUIRE(whole);
  CHECK(whole->dir() == (tmp / "drive:\\layouts\\base").string());
  auto missing = builder::LayoutReader::Open((tmp / "nothing").string() + ":v1");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("not an OCI image layout"));
}
