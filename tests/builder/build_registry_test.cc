// kiln build against a real docker-registry holding a Windows base: build, push, read back with
// skopeo; the base layer is mounted, never downloaded; file outputs read by skopeo.
#include <catch2/catch.hpp>

#include "core/media_types.h"
#include "layers/layer_check.h"
#include "tests/builder/build_helpers.h"
#include "tests/support/local_registry.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

// Puts the synthetic nanoserver ltsc2022 into `reg` as windows/nanoserver:ltsc2022 (skopeo).
std::string SeedBase(LocalRegistry& reg) {
  std::string dest = reg.host() + "/windows/nanoserver:ltsc2022";
  std::vector<std::string> cmd = {"skopeo", "copy", "--all", "oci:" + SyntheticNanoserver() + ":ltsc2022",
                                  "docker://" + dest};
  for (const auto& f : reg.SkopeoFlags(false)) cmd.push_back(f);
  auto r = Run(cmd);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return dest;
}

void WriteApp(const TempDir& ctx, const std::string& base) {
  WriteFile(ctx / "Dockerfile",
            "# escape=`\n"
            "FROM " + base + "\n"
            "WORKDIR C:\\app\n"
            "COPY . .\n"
            "ENV APP_MODE=production `\n"
            "    APP_PORT=8080\n"
            "USER ContainerUser\n"
            "CMD [\"C:\\\\app\\\\run.cmd\"]\n");
  WriteFile(ctx / ".dockerignore", "Dockerfile\n.dockerignore\n**/*.tmp\n");
  WriteFile(ctx / "run.cmd", "@echo running\r\n");
  WriteFile(ctx / "bin/app.dll", std::string(20000, 'a'));
  WriteFile(ctx / "bin/cache.tmp", "junk");
}

nlohmann::json SkopeoJson(const LocalRegistry& reg, const std::string& ref, bool config) {
  std::vector<std::string> cmd = {"skopeo", "inspect", "--override-os", "windows"};
  if (config) cmd.push_back("--config");
  for (const auto& f : reg.SkopeoFlags(true, true)) cmd.push_back(f);
  cmd.push_back("docker://" + ref);
  auto r = Run(cmd);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("a COPY-only Windows image builds and pushes, skopeo sees the base first and ours after",
          "[integration]") {
  LocalRegistry reg;
  std::string base = SeedBase(reg);
  auto base_info = SkopeoJson(reg, base, false);
  std::string base_layer = base_info["Layers"][0];
  TempDir store, ctx;
  WriteApp(ctx, base);
  reg.ClearLog();
  std::string target = reg.host() + "/apps/hello:1.0";
  auto r = Kiln({"--root", store.path().string(), "build", "--push", "-t", target,
                 "--metadata-file", (store / "meta.json").string(), ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  auto info = SkopeoJson(reg, target, false);
  CHECK(info["Os"] == "windows");
  REQUIRE(info["Layers"].size() == 3);
  CHECK(info["Layers"][0] == base_layer);
  auto config = SkopeoJson(reg, target, true);
  CHECK(config["os.version"] == "10.0.20348.2966");
  CHECK(config["config"]["WorkingDir"] == "C:\\app");
  CHECK(config["config"]["User"] == "ContainerUser");
  CHECK(config["config"]["Env"] == nlohmann::json::array({"APP_MODE=production", "APP_PORT=8080"}));
  CHECK(config["config"]["Cmd"] == nlohmann::json::array({"C:\\app\\run.cmd"}));
  auto history = config["history"];
  REQUIRE(history.size() == 6);
  CHECK(history[1]["created_by"] == "WORKDIR C:\\app");
  CHECK(history[2]["created_by"] == "COPY . .");
  CHECK(history[3]["empty_layer"] == true);
  // The pushed digest is the one the metadata file reports.
  auto meta = nlohmann::json::parse(ReadFile(store / "meta.json"));
  CHECK(info["Digest"] == meta["containerimage.digest"]);
  // Our layers are valid Windows layers, with exactly the non-ignored files.
  StoredImage img = ReadStoredImage(store.path(), target);
  for (size_t i = 1; i < img.manifest.layers.size(); ++i) {
    auto report = layers::CheckWindowsLayerFile((store / ("blobs/sha256/" + img.manifest.layers[i].digest.hex())).string());
    REQUIRE(report);
    INFO(report->ErrorsText());
    CHECK(report->ok());
  }
  auto listing = Shell("tar -tzf " + (store / ("blobs/sha256/" + img.manifest.layers[2].digest.hex())).string() + " 2>/dev/null");
  CHECK(listing.out == "Files\nHives\nFiles/app\nFiles/app/bin\nFiles/app/bin/app.dll\nFiles/app/run.cmd\n");

  // The base layer's bytes never left the registry: mounted into apps/hello, never fetched.
  bool base_get = false, mounted = false;
  for (const auto& req : reg.Requests()) {
    if (req.method == "GET" && req.path.find("/blobs/" + base_layer) != std::string::npos) base_get = true;
    std::string hex = base_layer.substr(7);
    if (req.method == "POST" && req.path.find("mount=") != std::string::npos &&
        req.path.find(hex) != std::string::npos && req.path.find("from=windows") != std::string::npos &&
        req.status == 201)
      mounted = true;
  }
  CHECK_FALSE(base_get);
  CHECK(mounted);
  CHECK_FALSE(store.path().empty());
  CHECK_FALSE(fs::exists(store / ("blobs/sha256/" + std::string(base_layer).substr(7))));
}

TEST_CASE("build outputs write an OCI layout and a docker archive that skopeo reads",
          "[integration]") {
  LocalRegistry reg;
  std::string base = SeedBase(reg);
  TempDir store, ctx, out;
  WriteApp(ctx, base);
  auto r = Kiln({"--root", store.path().string(), "build", "-t", "out:1", "-o",
                 "type=oci,dest=" + (out / "layout").string(), "-o",
                 "type=docker,dest=" + (out / "image.tar").string(), ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto oci = Run({"skopeo", "inspect", "--override-os", "windows",
                  "oci:" + (out / "layout").string() + ":1"});
  INFO(oci.err);
  CHECK(oci.exit_code == 0);
  auto docker = Run({"skopeo", "inspect", "--override-os", "windows",
                     "docker-archive:" + (out / "image.tar").string()});
  INFO(docker.err);
  CHECK(docker.exit_code == 0);
  CHECK(docker.out.find("\"Os\": \"windows\"") != std::string::npos);
  // The base layer had to be fetched for the files: now it is in the store.
  auto base_info = SkopeoJson(reg, base, false);
  std::string base_layer = base_info["Layers"][0];
  CHECK(fs::exists(store / ("blobs/sha256/" + base_layer.substr(7))));
}
