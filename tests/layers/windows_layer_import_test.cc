// Importing layer tars into windowsfilter folders: base layers written directly through
// BackupWrite, other layers through a transport folder, ImportLayer and the fix-ups after it.
#include <catch2/catch.hpp>

#include "layers/windows/base_layer_writer.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/layer_importer.h"
#include "tests/layers/fake_layer_api.h"
#include "tests/layers/windows_entries.h"
#include "tests/support/test_env.h"

namespace win = kiln::layers::windows;
namespace stdfs = std::filesystem;
using kiln::layers::EntryType;
using kiln::testing::FakeLayerApi;
using kiln::testing::FakeLayerFs;
using kiln::testing::Feed;
using kiln::testing::ReadFile;
using kiln::testing::TempDir;
using kiln::testing::WinEntry;

namespace {

using Entries = std::vector<std::pair<kiln::layers::TarEntry, std::string>>;

Entries BaseLayer() {
  return {
      {WinEntry("Files", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/Windows", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/Windows/cmd.exe", EntryType::kFile, 0x20), "MZ-cmd"},
      {WinEntry("Files/Windows/cmd.exe:Zone.Identifier", EntryType::kFile, 0, true), "[Zone]"},
      {WinEntry("Files/Windows/cmd2.exe", EntryType::kHardLink, 0, true, "Files/Windows/cmd.exe"),
       ""},
      {WinEntry("Files/Users", EntryType::kSymlink, 0x410, false, "C:\\Users", true), ""},
      {WinEntry("UtilityVM", EntryType::kDirectory, 0x10), ""},
      {WinEntry("UtilityVM/Files", EntryType::kDirectory, 0x10), ""},
  };
}

win::EntrySource From(const Entries& entries) {
  return [entries](kiln::layers::DiffSink& sink) { return Feed(sink, entries); };
}

}  // namespace

TEST_CASE("a base layer is written with BackupWrite and processed with ProcessBaseImage",
          "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  auto layer = dir.path() / "L0";
  stdfs::create_directory(layer);
  win::LayerImporter importer(api, fs);
  REQUIRE(importer.Import(layer, {}, dir.path() / "staging", From(BaseLayer())));
  // The utility VM image is kept and processed after the base image (hcsshim
  // baselayerwriter.go:166-179).
  CHECK(api.log() == std::vector<std::string>{"ProcessBaseImage " + layer.string(),
                                              "ProcessUtilityImage " +
                                                  (layer / "UtilityVM").string()});
  CHECK(ReadFile(layer / "Files/Windows/cmd.exe") == "MZ-cmd");
  const auto& cmd = fs.meta[(layer / "Files/Windows/cmd.exe").string()];
  CHECK(cmd.security_descriptor == kiln::testing::kUsersSecurityDescriptor);
  CHECK(cmd.info->attributes == 0x20);
  CHECK(cmd.alternate_streams.at(":Zone.Identifier:$DATA") == "[Zone]");
  CHECK(stdfs::equivalent(layer / "Files/Windows/cmd.exe", layer / "Files/Windows/cmd2.exe"));
  const auto& users = fs.meta[(layer / "Files/Users").string()];
  REQUIRE(users.reparse);
  CHECK(users.reparse->target == "C:\\Users");
  CHECK(users.reparse->is_mount_point);
  CHECK(stdfs::is_directory(layer / "UtilityVM/Files"));
  CHECK(stdfs::exists(layer / "UtilityVM/SystemTemplate.vhdx"));
  // Directory times are set again after the children were written, children first.
  auto windows_info = fs.meta[(layer / "Files/Windows").string()].info;
  REQUIRE(windows_info);
  CHECK(win::FileTimeToTarTime(windows_info->last_write_time) == BaseLayer()[1].first.mtime);
}

TEST_CASE("a base layer keeps its utility VM and the boot store as imported", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  auto layer = dir.path() / "L0";
  stdfs::create_directory(layer);
  Entries entries = {{WinEntry("Files", EntryType::kDirectory, 0x10), ""}};
  for (const char* d : {"UtilityVM", "UtilityVM/Files", "UtilityVM/Files/EFI",
                        "UtilityVM/Files/EFI/Microsoft", "UtilityVM/Files/EFI/Microsoft/Boot"})
    entries.push_back({WinEntry(d, EntryType::kDirectory, 0x10), ""});
  entries.push_back(
      {WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/BCD", EntryType::kFile, 0x20), "regf-bcd"});
  entries.push_back({WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG1", EntryType::kFile,
                              0x20),
                     "log1"});
  entries.push_back({WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi",
                              EntryType::kFile, 0x20),
                     "MZ"});
  entries.push_back({WinEntry("UtilityVM/Files/EFI/Microsoft/Boot/boot2.efi", EntryType::kHardLink,
                              0, true, "UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi"),
                     ""});
  win::LayerImporter importer(api, fs);
  REQUIRE(importer.Import(layer, {}, dir.path() / "s", From(entries)));
  CHECK(ReadFile(layer / "UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi") == "MZ");
  CHECK(stdfs::equivalent(layer / "UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi",
                          layer / "UtilityVM/Files/EFI/Microsoft/Boot/boot2.efi"));
  // hcsshim pkg/ociwclayer/import.go:26-31: the boot store as it came, before processing.
  CHECK(ReadFile(layer / "bcd.bak") == "regf-bcd");
  CHECK(ReadFile(layer / "bcd.log1.bak") == "log1");
  CHECK_FALSE(stdfs::exists(layer / "bcd.log.bak"));
  CHECK(api.log().back() == "ProcessUtilityImage " + (layer / "UtilityVM").string());

  // Only Files/ belongs under UtilityVM/, links do not cross from it to Files/.
  for (auto bad : {WinEntry("UtilityVM/Other", EntryType::kDirectory, 0x10),
                   WinEntry("Files/l", EntryType::kHardLink, 0, true,
                            "UtilityVM/Files/EFI/Microsoft/Boot/BCD")}) {
    TempDir d2;
    FakeLayerFs fs2;
    win::BaseLayerWriter writer(fs2, d2.path());
    Entries with_bad = entries;
    with_bad.push_back({bad, ""});
    INFO(bad.name);
    CHECK_FALSE(Feed(writer, with_bad));
  }
}

TEST_CASE("a base layer without a utility VM is not given to ProcessUtilityImage", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  auto layer = dir.path() / "L0";
  stdfs::create_directory(layer);
  win::LayerImporter importer(api, fs);
  REQUIRE(importer.Import(layer, {}, dir.path() / "s",
                          From({{WinEntry("Files", EntryType::kDirectory, 0x10), ""}})));
  CHECK(api.log() == std::vector<std::string>{"ProcessBaseImage " + layer.string()});
}

TEST_CASE("base layers refuse tombstones and links to names not written before", "[unit]") {
  for (auto bad : {WinEntry("Files/.wh.x", EntryType::kFile, 0, true),
                   WinEntry("Files/l", EntryType::kHardLink, 0, true, "Files/nowhere"),
                   WinEntry("Files/l", EntryType::kHardLink, 0, true, "Files")}) {
    TempDir dir;
    FakeLayerFs fs;
    win::BaseLayerWriter writer(fs, dir.path());
    auto status = Feed(writer, {{WinEntry("Files", EntryType::kDirectory, 0x10), ""}, {bad, ""}});
    INFO(bad.name);
    CHECK_FALSE(status);
  }
}

TEST_CASE("a layer on parents goes through ImportLayer, then deletions, links and times",
          "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  win::LayerImporter importer(api, fs);
  auto base = dir.path() / "L0";
  stdfs::create_directory(base);
  REQUIRE(importer.Import(base, {}, dir.path() / "s0", From(BaseLayer())));

  auto layer = dir.path() / "L1";
  stdfs::create_directory(layer);
  Entries entries = {
      {WinEntry("Files", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/Windows", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/Windows/.wh.cmd2.exe", EntryType::kFile, 0, true), ""},
      {WinEntry("Files/Windows/.wh.never-existed", EntryType::kFile, 0, true), ""},
      {WinEntry("Files/Windows/new.txt", EntryType::kFile, 0x20), "new"},
      {WinEntry("Files/Windows/cmd-again.exe", EntryType::kHardLink, 0, true,
                "Files/Windows/cmd.exe"),
       ""},
      {WinEntry("Files/Windows/new-again.txt", EntryType::kHardLink, 0, true,
                "Files/Windows/new.txt"),
       ""},
      {WinEntry("Hives", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Hives/System_Delta", EntryType::kFile, 0x20), "regf"},
  };
  auto staging = dir.path() / "staging";
  REQUIRE(importer.Import(layer, {base.string()}, staging, From(entries)));

  CHECK(api.log().back() == "ImportLayer " + layer.string());
  REQUIRE(api.import_parents.back().size() == 1);
  CHECK(api.import_parents.back()[0].path == base.string());
  CHECK_FALSE(stdfs::exists(staging));  // the transport folder is removed
  CHECK(ReadFile(layer / "Files/Windows/new.txt") == "new");
  CHECK(ReadFile(layer / "Hives/System_Delta") == "regf");
  // Links resolve inside this layer first, else in the parents.
  CHECK(stdfs::equivalent(layer / "Files/Windows/cmd-again.exe", base / "Files/Windows/cmd.exe"));
  CHECK(stdfs::equivalent(layer / "Files/Windows/new-again.txt", layer / "Files/Windows/new.txt"));
  // Deletions are applied to the imported folder (a name absent there is not an error).
  auto removed = [&](const char* name) {
    // make_preferred: kiln joins names with the host's separator (`\` on Windows).
    auto path = (layer / name).make_preferred().string();
    return std::count(fs.calls.begin(), fs.calls.end(), "Remove " + path);
  };
  CHECK(removed("Files/Windows/cmd2.exe") == 1);
  CHECK(removed("Files/Windows/never-existed") == 1);
}

TEST_CASE("fix-ups after ImportLayer never go through a link of the layer", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  win::LayerImporter importer(api, fs);
  auto base = dir.path() / "L0";
  stdfs::create_directory(base);
  REQUIRE(importer.Import(base, {}, dir.path() / "s0", From(BaseLayer())));
  auto victim = dir.path() / "victim.txt";
  kiln::testing::WriteFile(victim, "keep me");
  auto layer = dir.path() / "L1";
  stdfs::create_directory(layer);
  Entries entries = {
      {WinEntry("Files", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/out", EntryType::kSymlink, 0x410, false, dir.path().string(), true), ""},
      {WinEntry("Files/out/.wh.victim.txt", EntryType::kFile, 0, true), ""},
  };
  auto status = importer.Import(layer, {base.string()}, dir.path() / "staging", From(entries));
  REQUIRE_FALSE(status);
  CHECK(status.error().message.find("below a link") != std::string::npos);
  CHECK(ReadFile(victim) == "keep me");
}

TEST_CASE("a failed ImportLayer reports the HCS error and removes the transport folder", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  FakeLayerApi api(fs);
  api.FailNext("ImportLayer", win::HResultOf(0x80070003));
  win::LayerImporter importer(api, fs);
  auto layer = dir.path() / "L1";
  stdfs::create_directory(layer);
  auto staging = dir.path() / "staging";
  auto status = importer.Import(layer, {(dir.path() / "L0").string()}, staging,
                                From({{WinEntry("Files", EntryType::kDirectory, 0x10), ""}}));
  REQUIRE_FALSE(status);
  CHECK(status.error().message == "ImportLayer: path not found (0x80070003)");
  CHECK_FALSE(stdfs::exists(staging));
}
