#include <catch2/catch.hpp>

#include "layers/image_analysis.h"
#include "layers/layer_check.h"
#include "layers/shrink_plan.h"
#include "tests/layers/shrink_fixture.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;

namespace {

std::string Bytes(size_t n, char c) { return std::string(n, c); }

LayerOptions Opts(LayerFlavor flavor) {
  LayerOptions o;
  o.flavor = flavor;
  return o;
}

// The hand-computed fixture (numbers in the test below):
//   L0 base: a/base.txt 100, b.txt 50
//   L1: app/installer.bin 1000, app/data 200
//   L2: app/installed/prog 600, a/base.txt 150 (overwrites the base's)
//   L3: whiteout app/installer.bin, app/data 200 again, whiteout of directory "x" (L0 has x/y 30)
void BuildDiveFixture(FixtureImage& img, const std::string& p) {
  LayerTree l0(img.flavor), l1(img.flavor), l2(img.flavor), l3(img.flavor);
  REQUIRE_OK(l0.AddData(p + "a/base.txt", Bytes(100, 'a')));
  REQUIRE_OK(l0.AddData(p + "b.txt", Bytes(50, 'b')));
  REQUIRE_OK(l0.AddData(p + "x/y", Bytes(30, 'y')));
  REQUIRE_OK(l1.AddData(p + "app/installer.bin", Bytes(1000, 'i')));
  REQUIRE_OK(l1.AddData(p + "app/data", Bytes(200, 'd')));
  REQUIRE_OK(l2.AddData(p + "app/installed/prog", Bytes(600, 'p')));
  REQUIRE_OK(l2.AddData(p + "a/base.txt", Bytes(150, 'A')));
  REQUIRE_OK(l3.AddWhiteout(p + "app/installer.bin"));
  REQUIRE_OK(l3.AddData(p + "app/data", Bytes(200, 'd')));
  REQUIRE_OK(l3.AddWhiteout(p + "x"));
  for (auto* t : {&l0, &l1, &l2, &l3}) img.Add(*t);
}

}  // namespace

TEST_CASE("analyze computes dive's efficiency and wasted bytes as computed by hand", "[unit]") {
  // dive visits the leaves of each layer's tree. Paths, their sizes per layer, min and sum:
  //   a/base.txt          100 (L0), 150 (L2)        min 100  sum 250   (2 layers: wasted)
  //   b.txt               50                        min 50   sum 50
  //   x/y                 30                        min 30   sum 30
  //   app/installer.bin   1000 (L1), whiteout 0     min 0    sum 1000  (wasted)
  //   app/data            200 (L1), 200 (L3)        min 200  sum 400   (wasted)
  //   app/installed/prog  600                       min 600  sum 600
  //   x                   whiteout of a directory holding 30 bytes: 30   min 30 sum 30
  // efficiency = (100+50+30+0+200+600+30) / (250+50+30+1000+400+600+30) = 1010 / 2360
  // wasted = 250 + 1000 + 400 = 1650; layer sizes 180, 1200, 750, 200 -> user 2150.
  for (auto flavor : {LayerFlavor::kLinux, LayerFlavor::kWindows}) {
    FixtureImage img(flavor);
    BuildDiveFixture(img, flavor == LayerFlavor::kWindows ? "Files/" : "");
    DiveNumbers d = DiveAnalysis(img.catalogs);
    CHECK(d.efficiency == Approx(1010.0 / 2360.0).epsilon(1e-12));
    CHECK(d.wasted_bytes == 1650);
    CHECK(d.size_bytes == 180 + 1200 + 750 + 200);
    CHECK(d.user_size_bytes == 2150);
    CHECK(d.wasted_user_percent == Approx(1650.0 / 2150.0).epsilon(1e-12));
    REQUIRE(d.inefficiencies.size() == 3);
    CHECK(d.inefficiencies[0].path == "app/installer.bin");
    CHECK(d.inefficiencies[0].cumulative_size == 1000);
    CHECK(d.inefficiencies[1].path == "app/data");
    CHECK(d.inefficiencies[2].path == "a/base.txt");
    CHECK(d.inefficiencies[2].count == 2);
  }
}

TEST_CASE("an image with every path in one layer scores 1.0 and wastes nothing", "[unit]") {
  FixtureImage img(LayerFlavor::kLinux);
  LayerTree l0(img.flavor), l1(img.flavor);
  REQUIRE_OK(l0.AddData("bin/sh", "shell"));
  REQUIRE_OK(l1.AddData("app/x", "x"));
  img.Add(l0);
  img.Add(l1);
  DiveNumbers d = DiveAnalysis(img.catalogs);
  CHECK(d.efficiency == 1.0);
  CHECK(d.wasted_bytes == 0);
  CHECK(d.wasted_user_percent == 0.0);
}

// [linux]: checked by unpacking with ApplyLayer, Linux-only (apply_layer_win.cc refuses).
TEST_CASE("squashing drops overwritten and deleted files, keeps base deletions, same flat tree",
          "[unit][linux]") {
  for (auto flavor : {LayerFlavor::kLinux, LayerFlavor::kWindows}) {
    FixtureImage img(flavor);
    BuildDiveFixture(img, flavor == LayerFlavor::kWindows ? "Files/" : "");
    ShrinkOptions options;
    auto plan = PlanShrink(img.catalogs, 1, options);
    REQUIRE_OK(plan);
    REQUIRE(plan->layers.size() == 1);
    const LayerPlan& lp = plan->layers[0];
    CHECK(lp.sources == std::vector<size_t>{1, 2, 3});
    CHECK_FALSE(lp.keep);
    CHECK_FALSE(lp.empty);
    // 2150 bytes in the three layers; 200 + 600 + 150 stay.
    CHECK(plan->savings.squash_bytes == 1200);
    CHECK(plan->savings.squashed_layers == 2);
    CHECK(plan->savings.base_deletions == 1);  // x (with x/y) is the base's
    CHECK(plan->savings.base_deleted_bytes == 30);
    CHECK(plan->savings.useless_whiteouts == 0);
    std::vector<std::string> names;
    for (const auto& it : lp.items)
      names.push_back(it.header ? it.header->name
                                : img.catalogs[it.layer].NameOf(img.catalogs[it.layer].entries[it.index]));
    std::string p = flavor == LayerFlavor::kWindows ? "Files/" : "";
    CHECK(std::find(names.begin(), names.end(), p + "app/installer.bin") == names.end());
    CHECK(std::find(names.begin(), names.end(), p + ".wh.app") == names.end());
    CHECK(std::find(names.begin(), names.end(), p + ".wh.x") != names.end());

    auto written = WritePlannedLayer(lp, img.Opener(), Opts(flavor), *img.store);
    REQUIRE_OK(written);
    if (flavor == LayerFlavor::kWindows) {
      auto report = CheckWindowsLayerFile(img.store->BlobPath(written->blob.digest));
      REQUIRE_OK(report);
      INFO(report->ErrorsText());
      CHECK(report->ok());
    }
    auto before = img.Flatten(img.blobs, "before");
    auto after = img.Flatten({img.blobs[0], written->blob}, "after");
    CHECK(Listing(before) == Listing(after));
    CHECK(Listing(after).count("app/installed/prog"));
    // Deterministic: the same plan gives the same blob.
    auto again = WritePlannedLayer(lp, img.Opener(), Opts(flavor), *img.store);
    REQUIRE_OK(again);
    CHECK(again->blob.digest == written->blob.digest);
  }
}

// [linux]: checked by unpacking with ApplyLayer, Linux-only (apply_layer_win.cc refuses).
TEST_CASE("a directory deleted and made again still hides what the base has under it",
          "[unit][linux]") {
  for (auto flavor : {LayerFlavor::kLinux, LayerFlavor::kWindows}) {
    std::string p = flavor == LayerFlavor::kWindows ? "Files/" : "";
    FixtureImage img(flavor);
    LayerTree l0(flavor), l1(flavor), l2(flavor);
    REQUIRE_OK(l0.AddData(p + "cfg/old1", "1"));
    REQUIRE_OK(l0.AddData(p + "cfg/keep/old2", "2"));
    REQUIRE_OK(l1.AddWhiteout(p + "cfg"));
    REQUIRE_OK(l2.AddData(p + "cfg/new", "n"));
    for (auto* t : {&l0, &l1, &l2}) img.Add(*t);
    auto plan = PlanShrink(img.catalogs, 1, ShrinkOptions{});
    REQUIRE_OK(plan);
    REQUIRE(plan->layers.size() == 1);
    auto written = WritePlannedLayer(plan->layers[0], img.Opener(), Opts(flavor), *img.store);
    REQUIRE_OK(written);
    auto before = Listing(img.Flatten(img.blobs, "before"));
    auto after = Listing(img.Flatten({img.blobs[0], written->blob}, "after"));
    CHECK(before == after);
    CHECK_FALSE(after.count("cfg/old1"));
    CHECK(after.count("cfg/new"));
  }
}

TEST_CASE("junk that the base does not have is dropped, the base's own files are kept", "[unit]") {
  FixtureImage img(LayerFlavor::kWindows);
  LayerTree l0(img.flavor), l1(img.flavor);
  REQUIRE_OK(l0.AddData("Files/Windows/Temp/base.log", "base"));
  REQUIRE_OK(l1.AddData("Files/Windows/Temp/setup.exe", Bytes(500, 's')));
  REQUIRE_OK(l1.AddData("Files/windows/temp/BASE.LOG", "changed"));  // a base file: kept
  REQUIRE_OK(l1.AddData("Files/app/trace.ETL", Bytes(70, 'e')));
  REQUIRE_OK(l1.AddData("Files/app/app.exe", "app"));
  img.Add(l0);
  img.Add(l1);
  auto plan = PlanShrink(img.catalogs, 1, ShrinkOptions{});
  REQUIRE_OK(plan);
  CHECK(plan->savings.junk_files == 2);
  CHECK(plan->savings.junk_bytes == 570);
  ShrinkOptions off;
  off.junk = false;
  auto kept = PlanShrink(img.catalogs, 1, off);
  REQUIRE_OK(kept);
  CHECK(kept->savings.junk_files == 0);
  CHECK(kept->layers[0].keep);  // one layer, nothing to change: its blob is reused
}

TEST_CASE("layers with registry deltas are not merged with each other", "[unit]") {
  FixtureImage img(LayerFlavor::kWindows);
  LayerTree l0(img.flavor), l1(img.flavor), l2(img.flavor), l3(img.flavor), l4(img.flavor);
  REQUIRE_OK(l0.AddData("Files/Windows/System32/cmd.exe", "cmd"));
  REQUIRE_OK(l1.AddData("Files/a", "a"));
  REQUIRE_OK(l1.AddData("Hives/Software_Delta", "regf-1"));
  REQUIRE_OK(l2.AddData("Files/b", "b"));
  REQUIRE_OK(l3.AddData("Hives/Software_Delta", "regf-3"));
  REQUIRE_OK(l3.AddData("Hives/System_Delta", ""));
  REQUIRE_OK(l4.AddData("Files/a", "A"));
  for (auto* t : {&l0, &l1, &l2, &l3, &l4}) img.Add(*t);
  auto plan = PlanShrink(img.catalogs, 1, ShrinkOptions{});
  REQUIRE_OK(plan);
  REQUIRE(plan->layers.size() == 2);
  CHECK(plan->layers[0].sources == std::vector<size_t>{1, 2});
  CHECK(plan->layers[1].sources == std::vector<size_t>{3, 4});
  CHECK(plan->layers[1].split_reason.find("registry deltas") != std::string::npos);
  REQUIRE(plan->notes.size() == 1);
  for (const auto& lp : plan->layers) {
    auto w = WritePlannedLayer(lp, img.Opener(), Opts(img.flavor), *img.store);
    REQUIRE_OK(w);
    auto report = CheckWindowsLayerFile(img.store->BlobPath(w->blob.digest));
    REQUIRE_OK(report);
    INFO(report->ErrorsText());
    CHECK(report->ok());
    auto entries = ReadCatalogBlob(**img.store->Open(w->blob.digest), img.flavor);
    REQUIRE_OK(entries);
    std::string hives;
    for (const auto& e : entries->entries)
      if (e.kind == CatalogKind::kHive) hives += entries->PathOf(e) + "=" + std::to_string(e.size()) + " ";
    if (lp.sources[0] == 1) CHECK(hives == "Hives/Software_Delta=6 ");
    else CHECK(hives == "Hives/Software_Delta=6 Hives/System_Delta=0 ");
  }
}

TEST_CASE("metadata-only layers and whiteouts deleting nothing are dropped without squash",
          "[unit]") {
  FixtureImage img(LayerFlavor::kWindows);
  LayerTree l0(img.flavor), l1(img.flavor), l2(img.flavor), l3(img.flavor);
  REQUIRE_OK(l0.AddData("Files/base", "b"));
  REQUIRE_OK(l1.AddData("Files/app", "a"));
  REQUIRE_OK(l3.AddWhiteout("Files/nothing-here"));
  REQUIRE_OK(l3.AddData("Files/app2", "2"));
  for (auto* t : {&l0, &l1, &l2, &l3}) img.Add(*t);  // l2: Files + Hives only (an ENV step)
  CHECK(img.catalogs[2].metadata_only());
  ShrinkOptions o;
  o.squash = false;
  auto plan = PlanShrink(img.catalogs, 1, o);
  REQUIRE_OK(plan);
  REQUIRE(plan->layers.size() == 3);
  CHECK(plan->layers[0].keep);
  CHECK(plan->layers[1].empty);
  CHECK_FALSE(plan->layers[2].keep);
  CHECK(plan->savings.empty_layers == 1);
  CHECK(plan->savings.useless_whiteouts == 1);
}

// [linux]: checked by unpacking with ApplyLayer, Linux-only (apply_layer_win.cc refuses).
TEST_CASE("dedupe turns identical files into hard links to the first one", "[unit][linux]") {
  FixtureImage img(LayerFlavor::kWindows);
  LayerTree l0(img.flavor), l1(img.flavor), l2(img.flavor);
  REQUIRE_OK(l0.AddData("Files/base", "b"));
  REQUIRE_OK(l1.AddData("Files/lib/x.dll", Bytes(4000, 'x')));
  REQUIRE_OK(l2.AddData("Files/app/x.dll", Bytes(4000, 'x')));
  REQUIRE_OK(l2.AddData("Files/app/y.dll", Bytes(4000, 'y')));
  for (auto* t : {&l0, &l1, &l2}) img.Add(*t);
  ShrinkOptions o;
  o.dedupe = true;
  auto plan = PlanShrink(img.catalogs, 1, o);
  REQUIRE_OK(plan);
  CHECK(plan->savings.dedupe_files == 1);
  CHECK(plan->savings.dedupe_bytes == 4000);
  auto w = WritePlannedLayer(plan->layers[0], img.Opener(), Opts(img.flavor), *img.store);
  REQUIRE_OK(w);
  auto report = CheckWindowsLayerFile(img.store->BlobPath(w->blob.digest));
  REQUIRE_OK(report);
  INFO(report->ErrorsText());
  CHECK(report->ok());
  auto c = ReadCatalogBlob(**img.store->Open(w->blob.digest), img.flavor);
  REQUIRE_OK(c);
  bool linked = false;
  for (const auto& e : c->entries)
    if (c->PathOf(e) == "app/x.dll") linked = e.kind == CatalogKind::kHardLink && c->LinkOf(e) == "lib/x.dll";
  CHECK(linked);
  CHECK(Listing(img.Flatten(img.blobs, "before")) ==
        Listing(img.Flatten({img.blobs[0], w->blob}, "after")));
}

TEST_CASE("junk globs: one component per star, any depth for two, Windows ignores case", "[unit]") {
  CHECK(GlobMatch("Windows/Temp/**", "Windows/Temp/a/b.txt"));
  CHECK_FALSE(GlobMatch("Windows/Temp/**", "Windows/Temp"));
  CHECK(GlobMatch("**/*.etl", "a.etl"));
  CHECK(GlobMatch("**/*.etl", "x/y/a.etl"));
  CHECK_FALSE(GlobMatch("Users/*/AppData/Local/Temp/**", "Users/a/b/AppData/Local/Temp/x"));
  CHECK(GlobMatch("Users/*/AppData/Local/Temp/**", "Users/ContainerUser/AppData/Local/Temp/x"));
  JunkRules rules = JunkRules::Defaults(LayerFlavor::kWindows);
  CHECK(rules.Matches("windows/temp/X.tmp", LayerFlavor::kWindows));
  CHECK_FALSE(rules.Matches("windows/temp/X.tmp", LayerFlavor::kLinux));
  REQUIRE_OK(rules.Add("!Windows/Temp/keep.me"));
  CHECK_FALSE(rules.Matches("Windows/Temp/KEEP.ME", LayerFlavor::kWindows));
  CHECK_FALSE(JunkRules().Add("!").has_value());
}

TEST_CASE("a hard link whose target a later layer replaces is refused, not squashed wrongly",
          "[unit]") {
  FixtureImage img(LayerFlavor::kLinux);
  LayerTree l0(img.flavor), l1(img.flavor), l2(img.flavor);
  REQUIRE_OK(l0.AddData("bin/sh", "sh"));
  REQUIRE_OK(l1.AddData("data/a", "old"));
  REQUIRE_OK(l1.AddHardLink("data/b", "data/a"));
  REQUIRE_OK(l2.AddData("data/a", "new"));
  for (auto* t : {&l0, &l1, &l2}) img.Add(*t);
  auto plan = PlanShrink(img.catalogs, 1, ShrinkOptions{});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code == core::ErrorCode::kUnsupported);
  CHECK(plan.error().message.find("--no-squash") != std::string::npos);
  ShrinkOptions apart;
  apart.squash = false;
  CHECK(PlanShrink(img.catalogs, 1, apart).has_value());
}
