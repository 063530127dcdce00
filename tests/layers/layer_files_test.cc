#include <catch2/catch.hpp>

#include "layers/layer_files.h"
#include "layers/layer_tree.h"
#include "layers/package_files.h"
#include "tests/layers/layer_test_util.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;

namespace {

// Writes `tree` with a LayerFilesRecorder hooked in; returns the record and the blob.
std::pair<LayerFiles, std::string> WriteRecorded(const LayerTree& tree, LayerFlavor flavor) {
  LayerOptions o;
  o.flavor = flavor;
  LayerFiles recorded;
  o.file_hook = [&recorded] {
    return std::make_unique<LayerFilesRecorder>([&recorded](LayerFiles&& f) { recorded = std::move(f); });
  };
  std::string blob;
  auto writer = LayerWriter::Create(o, std::make_unique<MemoryBlob>(&blob));
  REQUIRE(writer);
  REQUIRE(tree.WriteTo(**writer));
  auto r = (*writer)->Finish();
  REQUIRE(r);
  REQUIRE(recorded.diff_id == r->diff_id);
  return {recorded, blob};
}

const LayerFile* Find(const LayerFiles& f, std::string_view name) {
  for (const auto& e : f.entries)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("the layer writer's file hook sees every file with the sha256 of its bytes", "[unit]") {
  LayerTree tree(LayerFlavor::kWindows);
  std::string big(3 << 20, 'x');  // spans several pipeline chunks
  big[12345] = 'y';
  REQUIRE(tree.AddData("Files/app/big.bin", big, {}));
  REQUIRE(tree.AddData("Files/app/a.txt", "hello", {}));
  REQUIRE(tree.AddHardLink("Files/app/b.txt", "Files/app/a.txt"));
  auto [files, blob] = WriteRecorded(tree, LayerFlavor::kWindows);
  const LayerFile* b = Find(files, "Files/app/big.bin");
  REQUIRE(b);
  CHECK(b->sha256 == core::Digest::Sha256Of(big).hex());
  CHECK(b->size == big.size());
  REQUIRE(Find(files, "Files/app/a.txt"));
  CHECK(Find(files, "Files/app/a.txt")->sha256 == core::Digest::Sha256Of("hello").hex());
  REQUIRE(Find(files, "Files/app/b.txt"));
  CHECK(Find(files, "Files/app/b.txt")->type == EntryType::kHardLink);
  CHECK(Find(files, "Files/app/b.txt")->link == "Files/app/a.txt");
  CHECK(Find(files, "Files"));  // the roots the writer adds itself are seen too

  // Reading the blob afterwards gives the same record (the path for cached layers).
  core::StringReader in(blob);
  auto again = RecordLayerBlob(in);
  REQUIRE(again);
  CHECK(again->diff_id == files.diff_id);
  CHECK(again->Serialize() == files.Serialize());
  auto parsed = LayerFiles::Parse(files.Serialize());
  REQUIRE(parsed);
  CHECK(parsed->Serialize() == files.Serialize());
}

TEST_CASE("package manifests written into a layer are parsed into packages", "[unit]") {
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(tree.AddData("app/web.deps.json", R"J({"libraries": {
      "web/1.0.0": {"type": "project"},
      "Newtonsoft.Json/13.0.3": {"type": "package", "sha512": "x"}}})J", {}));
  REQUIRE(tree.AddData("app/package-lock.json", R"J({"lockfileVersion": 3, "packages": {
      "": {"name": "site"},
      "node_modules/left-pad": {"version": "1.3.0"},
      "node_modules/@types/node": {"version": "20.1.0"},
      "node_modules/a/node_modules/left-pad": {"version": "1.1.0"},
      "packages/ws": {"version": "0.0.1"}}})J", {}));
  auto [files, blob] = WriteRecorded(tree, LayerFlavor::kLinux);
  std::vector<std::string> purls;
  for (const auto& p : files.packages) purls.push_back(p.Purl());
  std::sort(purls.begin(), purls.end());
  CHECK(purls == std::vector<std::string>{"pkg:npm/%40types/node@20.1.0", "pkg:npm/left-pad@1.1.0",
                                          "pkg:npm/left-pad@1.3.0",
                                          "pkg:nuget/Newtonsoft.Json@13.0.3"});
}

TEST_CASE("NuGet lock files list resolved packages once across frameworks", "[unit]") {
  auto found = ParsePackages("src/packages.lock.json", R"J({"version": 1, "dependencies": {
      "net8.0": {"Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1"},
                 "lib": {"type": "Project"}},
      "net6.0": {"Serilog": {"type": "Direct", "resolved": "3.1.1"}}}})J");
  REQUIRE(found.size() == 1);
  CHECK(found[0].Purl() == "pkg:nuget/Serilog@3.1.1");
  CHECK(found[0].source == "src/packages.lock.json");
  CHECK(ParsePackages("x/package-lock.json", "not json").empty());
  CHECK(IsPackageManifest("Files/app/My.App.deps.json"));
  CHECK_FALSE(IsPackageManifest("Files/app/package.json"));
}

TEST_CASE("AddHashed gives the caller the digest the file hook receives (one hash per file)", "[unit]") {
  struct Digests : LayerFileHook {
    std::vector<std::string>* seen;
    explicit Digests(std::vector<std::string>* s) : seen(s) {}
    void Begin(const TarEntry&) override {}
    void Data(const char*, size_t) override {}
    void End(const core::Digest* sha256) override { seen->push_back(sha256 ? sha256->hex() : "-"); }
    void Finish(const core::Digest&) override {}
  };
  std::vector<std::string> seen;
  LayerOptions o;
  o.flavor = LayerFlavor::kLinux;
  o.file_hook = [&seen] { return std::make_unique<Digests>(&seen); };
  std::string blob;
  auto writer = LayerWriter::Create(o, std::make_unique<MemoryBlob>(&blob));
  REQUIRE(writer);
  std::string content(3 << 20, 'z');  // several pipeline chunks
  TarEntry f;
  f.name = "app/f.bin";
  f.mode = 0644;
  f.size = content.size();
  core::StringReader in(content);
  core::Digest sha256;
  REQUIRE((*writer)->AddHashed(f, &in, sha256));
  TarEntry d;
  d.name = "app";
  d.type = EntryType::kDirectory;
  d.mode = 0755;
  REQUIRE((*writer)->Add(d, nullptr));
  REQUIRE((*writer)->Finish());
  CHECK(sha256 == core::Digest::Sha256Of(content));
  CHECK(seen == std::vector<std::string>{sha256.hex(), "-"});  // a directory has no digest
}

TEST_CASE("a layer file record serialises to the bytes its JSON tree dumps, and back", "[unit]") {
  LayerFiles f;
  f.diff_id = core::Digest::Sha256Of("tar");
  f.entries.push_back({"Files/app/plain.txt", EntryType::kFile, 5, std::string(64, 'a'), ""});
  f.entries.push_back({"Files/app/\"quoted\" \\ and\ttab", EntryType::kFile, 0, std::string(64, 'b'), ""});
  f.entries.push_back({"Files/app/Ünïcödé dir", EntryType::kDirectory, 0, "", ""});
  f.entries.push_back({"Files/app/link", EntryType::kSymlink, 0, "", "../x\x01y"});
  f.packages.push_back({"npm", "left-pad", "1.3.0", "Files/app/package-lock.json"});
  core::Json tree = core::Json::object();
  tree["diff_id"] = f.diff_id.ToString();
  core::Json list = core::Json::array();
  for (const auto& e : f.entries)
    list.push_back(core::Json::array({e.name, std::string(1, static_cast<char>(e.type)), e.size, e.sha256, e.link}));
  tree["entries"] = std::move(list);
  tree["packages"] = core::Json::array({core::Json::array({"npm", "left-pad", "1.3.0", "Files/app/package-lock.json"})});
  std::string text = f.Serialize();
  CHECK(text == tree.dump());
  auto back = LayerFiles::Parse(text);
  REQUIRE(back);
  REQUIRE(back->entries.size() == f.entries.size());
  for (size_t i = 0; i < f.entries.size(); ++i) {
    CHECK(back->entries[i].name == f.entries[i].name);
    CHECK(back->entries[i].link == f.entries[i].link);
  }
}

TEST_CASE("a record made while a LayerTree writes says so, and one read back from the blob does not", "[unit]") {
  LayerTree tree(LayerFlavor::kLinux);
  REQUIRE(tree.AddData("app/a.txt", "a", {}));
  auto [files, blob] = WriteRecorded(tree, LayerFlavor::kLinux);
  CHECK(files.from_tree);
  core::StringReader in(blob);
  auto again = RecordLayerBlob(in);
  REQUIRE(again);
  CHECK_FALSE(again->from_tree);
  CHECK_FALSE(LayerFiles::Parse(files.Serialize())->from_tree);
}
