// The bundled samples build end to end on this Linux host: multistage runs its Linux stage's RUN
// with runc (on a busybox image kiln builds from Debian's busybox-static) and ships the result in
// a Nano Server stage; multi-version builds one image per Windows version into an index.
#include <catch2/catch.hpp>

#include "core/media_types.h"
#include "layers/layer_check.h"
#include "tests/builder/build_helpers.h"
#include "tests/support/busybox_rootfs.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

// Builds busybox:1.36 into the store at `root` from a busybox root file system (FROM scratch).
void BuildBusyboxImage(const TempDir& root) {
  TempDir ctx;
  MakeBusyboxRootfs(ctx / "rootfs");
  fs::create_directories(ctx / "rootfs/tmp");
  fs::permissions(ctx / "rootfs/tmp", fs::perms::all | fs::perms::sticky_bit);
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n");
  auto r = Kiln({"--root", root.path().string(), "--progress", "plain", "build", "-t", "busybox:1.36",
                 ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

// Extracts the gzip layer `d` of the store at `root` into `dir` with GNU tar.
void ExtractLayer(const TempDir& root, const core::Descriptor& d, const fs::path& dir) {
  fs::create_directories(dir);
  auto blob = root / ("blobs/sha256/" + d.digest.hex());
  auto r = Run({"tar", "--warning=no-unknown-keyword", "-xzf", blob.string(), "-C", dir.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("the multistage sample builds on Linux: a runc stage feeds a Nano Server stage",
          "[integration]") {
  TempDir root;
  BuildBusyboxImage(root);
  const std::map<std::string, std::string> epoch = {{"SOURCE_DATE_EPOCH", "1700000000"}};
  auto r = Kiln({"--root", root.path().string(), "--progress", "plain", "build", "-t", "site:1",
                 "--build-context", NanoserverContext("ltsc2022"),
                 (SourceDir() / "samples/multistage").string()},
                epoch);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  StoredImage img = ReadStoredImage(root.path(), "site:1");
  CHECK(img.config.os == "windows");
  CHECK(img.config.config.user == "ContainerUser");
  CHECK(img.config.config.working_dir == "C:\\site");
  REQUIRE(img.manifest.layers.size() == 3);  // base, WORKDIR, COPY --from=build
  for (size_t i = 1; i < img.manifest.layers.size(); ++i) {
    auto report = layers::CheckWindowsLayerFile(
        (root / ("blobs/sha256/" + img.manifest.layers[i].digest.hex())).string());
    REQUIRE(report);
    INFO(report->ErrorsText());
    CHECK(report->ok());
  }
  TempDir out;
  ExtractLayer(root, img.manifest.layers[2], out.path());
  // The RUN step stamped the version and converted the script to CRLF line ends.
  std::string page = ReadFile(out / "Files/site/index.html");
  CHECK(page.find("1.0.0") != std::string::npos);
  CHECK(page.find("@VERSION@") == std::string::npos);
  std::string script = ReadFile(out / "Files/site/bin/serve.cmd");
  CHECK(script.find("\r\n") != std::string::npos);
  CHECK(script.find("\n") == script.find("\r\n") + 1);

  // Rebuilding (same SOURCE_DATE_EPOCH) changes nothing: every step is a cache hit and no blob is added.
  size_t blobs = CountBlobs(root.path());
  auto again = Kiln({"--root", root.path().string(), "--progress", "plain", "build", "-t", "site:1",
                     "--build-context", NanoserverContext("ltsc2022"),
                     (SourceDir() / "samples/multistage").string()},
                    epoch);
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(ReadStoredImage(root.path(), "site:1").top.digest == img.top.digest);
  CHECK(again.err.find("cached") != std::string::npos);
  CHECK(CountBlobs(root.path()) == blobs);
}

TEST_CASE("the multi-version sample builds one image per Windows version into one index",
          "[integration]") {
  TempDir root;
  auto r = Kiln({"--root", root.path().string(), "--progress", "plain", "build", "-t", "app:1.0",
                 "--platform", "windows/amd64:10.0.17763,windows/amd64:10.0.20348",
                 "--build-context", NanoserverContext("1809"), "--build-context",
                 NanoserverContext("ltsc2022"), (SourceDir() / "samples/multi-version").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (std::string v : {"10.0.17763", "10.0.20348"}) {
    StoredImage img = ReadStoredImage(root.path(), "app:1.0", v);
    CHECK(core::media::IsIndex(img.top.media_type));
    CHECK(img.config.os_version.rfind(v + ".", 0) == 0);
    CHECK(img.config.config.labels["com.example.windows-build"] == v);
    CHECK(img.config.config.env ==
          std::vector<std::string>{"APP_VERSION=1.0.0", "OS_VERSION=" + v});
  }
}

TEST_CASE("WORKDIR onto a directory of the base keeps its mode (a sticky /tmp stays writable)",
          "[integration]") {
  TempDir root, ctx;
  BuildBusyboxImage(root);
  WriteFile(ctx / "Dockerfile",
            "FROM busybox:1.36\nWORKDIR /tmp\nUSER nobody\nRUN touch ok && stat -c %a . > mode\n"
            "WORKDIR /new/dir\nUSER root\nRUN pwd > /tmp/pwd\n");
  auto r = Kiln({"--root", root.path().string(), "--progress", "plain", "build", "-t", "wd:1",
                 ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  StoredImage img = ReadStoredImage(root.path(), "wd:1");
  CHECK(img.config.config.working_dir == "/new/dir");
  REQUIRE(img.manifest.layers.size() == 3);  // busybox, and one layer per RUN: none for WORKDIR
  TempDir out;
  for (size_t i = 1; i < 3; ++i) {
    auto blob = root / ("blobs/sha256/" + img.manifest.layers[i].digest.hex());
    auto x = Run({"tar", "-xzf", blob.string(), "-C", out.path().string()});
    REQUIRE(x.exit_code == 0);
  }
  CHECK(ReadFile(out / "tmp/mode") == "1777\n");
  CHECK(ReadFile(out / "tmp/pwd") == "/new/dir\n");
}
