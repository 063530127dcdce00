#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "core/media_types.h"
#include "layers/image_export.h"
#include "layers/image_inspect.h"
#include "layers/layer_tree.h"
#include "layers/local_image.h"
#include "layers/store.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
namespace fs = std::filesystem;

TEST_CASE("an image with a layer that is known but not local cannot be saved", "[unit]") {
  testing::TempDir dir;
  auto store = Store::Open((dir / "store").string());
  REQUIRE(store);
  core::Descriptor base;
  base.media_type = std::string(core::media::kDockerLayerGzip);
  base.digest = core::Digest::Sha256Of("nanoserver base layer");
  base.size = 124103131;
  REQUIRE((*store)->RecordRemote(base, {"mcr.microsoft.com", "windows/nanoserver"}));
  core::ImageConfig config;
  config.os = "windows";
  config.architecture = "amd64";
  config.diff_ids = {core::Digest::Sha256Of("diff")};
  auto d = PutImage(**store, config, {base});
  REQUIRE(d);
  REQUIRE((*store)->Tag("app", *d));
  auto r = SaveImages(**store, {"app"}, {ExportFormat::kOci, (dir / "out").string(), std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "cannot save docker.io/library/app:latest: blob " + base.digest.ToString() +
            " (known from mcr.microsoft.com/windows/nanoserver) is not in the local store; fetch "
            "it first with `kiln pull docker.io/library/app:latest`");
  CHECK_FALSE(fs::exists(dir / "out/index.json"));
  auto report = InspectLocal(**store, "app");
  REQUIRE(report);
  REQUIRE(report->manifests.size() == 1);
  CHECK_FALSE(report->manifests[0].layers[0].local);
  CHECK(report->manifests[0].layers[0].sources.size() == 1);
  CHECK(RenderInspection(*report, false).find("remote") != std::string::npos);
}

TEST_CASE("a docker-archive of an index puts the name on the entry for this host", "[unit]") {
  // docker loads every entry and runs the one carrying the name, so the index's first entry
  // (here arm64) must not get it on an amd64 host.
  testing::TempDir dir;
  auto store = Store::Open((dir / "store").string());
  REQUIRE(store);
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(tree.AddData("hello", "hello"));
  auto layer = CommitLayer(tree, LayerOptions{}, **store);
  REQUIRE(layer);
  std::vector<core::Descriptor> entries;
  std::map<std::string, std::string> config_of;  // "blobs/sha256/<hex>" -> architecture
  core::Platform host = core::Platform::HostLinux();
  std::string other = host.architecture == "arm64" ? "amd64" : "arm64";
  for (const std::string& arch : {other, host.architecture, std::string("s390x")}) {
    core::ImageConfig config;
    config.os = "linux";
    config.architecture = arch;
    config.diff_ids = {layer->diff_id};
    auto d = PutImage(**store, config, {layer->blob});
    REQUIRE(d);
    entries.push_back(*d);
    auto image = LoadImage(**store, *d);
    REQUIRE(image);
    config_of["blobs/sha256/" + image->manifest.config.digest.hex()] = arch;
  }
  auto index = PutIndex(**store, entries);
  REQUIRE(index);
  REQUIRE((*store)->Tag("multi:1", *index));
  REQUIRE(SaveImages(**store, {"multi:1"},
                     {ExportFormat::kDocker, (dir / "out").string(), std::nullopt}));
  auto manifest = core::Json::parse(testing::ReadFile(dir / "out/manifest.json"));
  std::string tags;
  for (const auto& m : manifest)
    tags += config_of[m["Config"].get<std::string>()] + " " + m["RepoTags"].dump() + "\n";
  CHECK(tags == other + " []\n" + host.architecture + " [\"multi:1\"]\ns390x []\n");
}
