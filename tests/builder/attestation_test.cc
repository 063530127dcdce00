// --provenance / --sbom flags, the SBOM's flattened file list, and the statement's shape.
#include <catch2/catch.hpp>

#include "builder/attestation.h"
#include "builder/sbom.h"

using namespace kiln;
using namespace kiln::builder;

namespace {

layers::LayerFile File(std::string name, std::string content) {
  return {std::move(name), layers::EntryType::kFile, content.size(), core::Digest::Sha256Of(content).hex(), ""};
}
layers::LayerFile Entry(std::string name, layers::EntryType type, std::string link = "") {
  return {std::move(name), type, 0, "", std::move(link)};
}

}  // namespace

TEST_CASE("the provenance and SBOM flags take buildx's spellings and refuse others", "[unit]") {
  AttestationOptions o;
  REQUIRE(ParseProvenanceFlag("true", o));
  CHECK(o.provenance == ProvenanceMode::kMin);
  REQUIRE(ParseProvenanceFlag("max", o));
  CHECK(o.provenance == ProvenanceMode::kMax);
  REQUIRE(ParseProvenanceFlag("false", o));
  CHECK(o.provenance == ProvenanceMode::kOff);
  REQUIRE(ParseProvenanceFlag("mode=max,version=v0.2", o));
  CHECK(o.provenance == ProvenanceMode::kMax);
  CHECK(o.slsa_version == "v0.2");
  REQUIRE(ParseProvenanceFlag("mode=min", o));
  CHECK(o.provenance == ProvenanceMode::kMin);
  CHECK_FALSE(ParseProvenanceFlag("mode=full", o));
  CHECK_FALSE(ParseProvenanceFlag("version=v2", o));
  CHECK_FALSE(ParseProvenanceFlag("builder-id=x", o));
  AttestationOptions s;
  REQUIRE(ParseSbomFlag("true", s));
  CHECK(s.sbom);
  REQUIRE(ParseSbomFlag("false", s));
  CHECK_FALSE(s.sbom);
  auto scanner = ParseSbomFlag("generator=docker/buildkit-syft-scanner", s);
  REQUIRE_FALSE(scanner);
  CHECK(scanner.error().code == core::ErrorCode::kUnsupported);
}

TEST_CASE("provenance defaults to min only for pushes and OCI layouts", "[unit]") {
  BuildOptions o;
  CHECK(EffectiveProvenance(o) == ProvenanceMode::kOff);
  o.push = true;
  CHECK(EffectiveProvenance(o) == ProvenanceMode::kMin);
  o.push = false;
  o.outputs.push_back({OutputSpec::Type::kDocker, "x.tar", {}, {}});
  CHECK(EffectiveProvenance(o) == ProvenanceMode::kOff);
  o.outputs.push_back({OutputSpec::Type::kOci, "dir", {}, {}});
  CHECK(EffectiveProvenance(o) == ProvenanceMode::kMin);
  o.attest.provenance = ProvenanceMode::kOff;
  CHECK(EffectiveProvenance(o) == ProvenanceMode::kOff);
}

TEST_CASE("the SBOM's files are what the added layers leave after whiteouts", "[unit]") {
  using layers::EntryType;
  layers::LayerFiles l1, l2;
  l1.entries = {Entry("app", EntryType::kDirectory), File("app/a.txt", "a"), File("app/old.txt", "old"),
                Entry("app/cache", EntryType::kDirectory), File("app/cache/x", "x"),
                Entry("app/link", EntryType::kSymlink, "a.txt"), File("etc/conf", "c1")};
  l2.entries = {File("etc/conf", "c2"), Entry("app/.wh.old.txt", EntryType::kFile),
                Entry("app/cache/.wh..wh..opq", EntryType::kFile), File("app/cache/y", "y"),
                Entry("app/hard", EntryType::kHardLink, "app/a.txt")};
  auto files = FlattenAdded({&l1, &l2}, /*windows=*/false);
  std::vector<std::string> got;
  for (const auto& f : files) got.push_back(std::string(f.path) + " " + std::string(f.sha256.substr(0, 8)));
  auto h = [](std::string s) { return core::Digest::Sha256Of(s).hex().substr(0, 8); };
  CHECK(got == std::vector<std::string>{"app/a.txt " + h("a"), "app/cache/y " + h("y"),
                                        "app/hard " + h("a"), "etc/conf " + h("c2")});
}

TEST_CASE("Windows SBOM files come from Files/ only and compare case-insensitively", "[unit]") {
  using layers::EntryType;
  layers::LayerFiles l1, l2;
  l1.entries = {Entry("Files", EntryType::kDirectory), Entry("Hives", EntryType::kDirectory),
                File("Files/App/Run.cmd", "v1"), File("Hives/DefaultUser_Delta", "hive")};
  l2.entries = {Entry("Files", EntryType::kDirectory), File("Files/app/run.CMD", "v2")};
  auto files = FlattenAdded({&l1, &l2}, /*windows=*/true);
  REQUIRE(files.size() == 1);
  CHECK(files[0].path == "app/run.CMD");
  CHECK(files[0].sha256 == core::Digest::Sha256Of("v2").hex());
}

TEST_CASE("a statement is an in-toto v1 statement over the image manifest digest", "[unit]") {
  auto d = core::Digest::Sha256Of("manifest");
  auto s = core::Json::parse(Statement("_", d, kSpdxDocument, core::Json{{"spdxVersion", "SPDX-2.3"}}));
  CHECK(s["_type"] == "https://in-toto.io/Statement/v1");
  CHECK(s["subject"][0]["digest"]["sha256"] == d.hex());
  CHECK(s["predicateType"] == "https://spdx.dev/Document");
  CHECK(s["predicate"]["spdxVersion"] == "SPDX-2.3");
}

TEST_CASE("a statement around predicate text is byte-identical to one around the JSON tree", "[unit]") {
  auto d = core::Digest::Sha256Of("manifest");
  core::Json predicate = {{"spdxVersion", "SPDX-2.3"}, {"files", core::Json::array({{{"fileName", "./a \"b\""}}})}};
  CHECK(StatementText("pkg:docker/x?platform=windows%2Famd64", d, kSpdxDocument, predicate.dump()) ==
        Statement("pkg:docker/x?platform=windows%2Famd64", d, kSpdxDocument, predicate));
}

TEST_CASE("one added layer flattens as the general rules do (fast path and its fallbacks)", "[unit]") {
  using layers::EntryType;
  auto same = [](const layers::LayerFiles& l, bool windows) {
    // Below an empty added layer, the same layer goes through the general (map) rules.
    layers::LayerFiles empty;
    auto one = FlattenAdded({&l}, windows);
    auto general = FlattenAdded({&empty, &l}, windows);
    std::vector<std::string> a, b;
    for (const auto& f : one) a.push_back(std::string(f.path) + " " + std::string(f.sha256));
    for (const auto& f : general) b.push_back(std::string(f.path) + " " + std::string(f.sha256));
    CHECK(a == b);
    return a.size();
  };
  layers::LayerFiles linux_layer;
  linux_layer.entries = {Entry("app", EntryType::kDirectory), File("app/b.txt", "b"), File("app/a.txt", "a"),
                         Entry("app/link", EntryType::kSymlink, "a.txt"), Entry("app/.wh.gone", EntryType::kFile),
                         Entry("etc/.wh..wh..opq", EntryType::kFile), File("etc/x", "x"), File("a-b", "1"),
                         File("a/c", "2")};
  CHECK(same(linux_layer, false) == 5);
  layers::LayerFiles win;
  win.entries = {Entry("Files", EntryType::kDirectory), Entry("Files/App", EntryType::kDirectory),
                 File("Files/App/One.txt", "1"), File("Files/app/two.TXT", "2"), File("Hives/x", "h"),
                 Entry("Files/App/.wh.old", EntryType::kFile)};
  CHECK(same(win, true) == 2);
  // Fallbacks: two names with one key (Windows), a name under a file, a hard link.
  layers::LayerFiles dup;
  dup.entries = {File("Files/A.txt", "1"), File("Files/a.TXT", "2")};
  CHECK(same(dup, true) == 1);
  layers::LayerFiles under;
  under.entries = {File("x", "file"), File("x/y", "under"), File("z", "z")};
  same(under, false);
  // ... also when other names sort between the file and what lies under it, and deeper down.
  layers::LayerFiles apart;
  apart.entries = {File("x", "file"), File("x-1", "1"), File("x.2", "2"), File("x/a/b", "deep")};
  same(apart, false);
  layers::LayerFiles apart_win;
  apart_win.entries = {File("Files/X", "file"), File("Files/x 1", "1"), File("Files/x/A", "under")};
  same(apart_win, true);
  layers::LayerFiles linked;
  linked.entries = {File("a", "a"), Entry("b", EntryType::kHardLink, "a")};
  CHECK(same(linked, false) == 2);
  // A record a LayerTree wrote skips the checks: still the general rules' files, in byte order
  // (a tree writes "a/b" before "a-b").
  layers::LayerFiles tree_linux = linux_layer, tree_win = win;
  tree_linux.from_tree = tree_win.from_tree = true;
  tree_linux.entries.push_back(File("a-b/c", "3"));
  linux_layer.entries.push_back(File("a-b/c", "3"));
  CHECK(same(tree_linux, false) == 6);
  std::vector<std::string> a, b;
  for (const auto& f : FlattenAdded({&tree_linux}, false)) a.push_back(std::string(f.path));
  for (const auto& f : FlattenAdded({&linux_layer}, false)) b.push_back(std::string(f.path));
  CHECK(a == b);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(same(tree_win, true) == 2);
}
