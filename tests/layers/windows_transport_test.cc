// Transport folders (what vmcompute ImportLayer reads and ExportLayer writes) <-> layer entries,
// with std::filesystem standing in for NTFS and the fake keeping Windows metadata.
#include <catch2/catch.hpp>

#include "layers/windows/layer_entry.h"
#include "layers/windows/tombstones.h"
#include "layers/windows/transport_reader.h"
#include "layers/windows/transport_writer.h"
#include "tests/layers/fake_layer_fs.h"
#include "tests/layers/windows_entries.h"
#include "tests/support/test_env.h"

namespace win = kiln::layers::windows;
using kiln::layers::EntryType;
using kiln::layers::TarEntry;
using kiln::testing::CollectingSink;
using kiln::testing::FakeLayerFs;
using kiln::testing::Feed;
using kiln::testing::ReadFile;
using kiln::testing::TempDir;
using kiln::testing::WinEntry;

namespace {

std::vector<std::pair<TarEntry, std::string>> SampleLayer() {
  return {
      {WinEntry("Files", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/app", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/app/a.txt", EntryType::kFile, 0x20), "hello"},
      {WinEntry("Files/app/a.txt:zone", EntryType::kFile, 0, /*plain=*/true), "z"},
      {WinEntry("Files/app/hl", EntryType::kHardLink, 0, true, "Files/app/a.txt"), ""},
      {WinEntry("Files/app/j", EntryType::kSymlink, 0x410, false, "C:\\data", true), ""},
      {WinEntry("Files/app/link", EntryType::kSymlink, 0x20, false, "a.txt"), ""},
      {WinEntry("Files/app/.wh.old", EntryType::kFile, 0, true), ""},
      {WinEntry("Hives", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Hives/System_Delta", EntryType::kFile, 0x20), "regf-system"},
  };
}

std::vector<win::BackupStreamId> StreamIds(const std::string& bytes) {
  win::StringRandomAccess src(bytes);
  auto records = win::IndexBackupStream(src, 4);
  REQUIRE(records);
  std::vector<win::BackupStreamId> ids;
  for (const auto& r : *records) ids.push_back(r.header.id);
  return ids;
}

uint32_t Word(const std::string& bytes) {
  REQUIRE(bytes.size() >= 4);
  return uint8_t(bytes[0]) | uint8_t(bytes[1]) << 8 | uint8_t(bytes[2]) << 16 |
         uint32_t(uint8_t(bytes[3])) << 24;
}

}  // namespace

TEST_CASE("layer entries become the transport folder vmcompute ImportLayer reads", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  auto root = dir.path() / "t";
  std::filesystem::create_directory(root);
  win::TransportWriter writer(fs, root);
  REQUIRE(Feed(writer, SampleLayer()));
  // A directory reparse point appears only at the end, so nothing can be written through it.
  CHECK_FALSE(std::filesystem::exists(root / "Files/app/j"));
  REQUIRE(writer.Finish());
  CHECK(std::filesystem::is_directory(root / "Files/app/j"));

  std::string file = ReadFile(root / "Files/app/a.txt");
  CHECK(Word(file) == 0x20);
  using Id = win::BackupStreamId;
  CHECK(StreamIds(file) == std::vector<Id>{Id::kSecurityData, Id::kData, Id::kAlternateData});
  CHECK(Word(ReadFile(root / "Files.$wcidirs$")) == 0x10);
  CHECK(Word(ReadFile(root / "Hives.$wcidirs$")) == 0x10);
  CHECK(StreamIds(ReadFile(root / "Files/app/j.$wcidirs$")) ==
        std::vector<Id>{Id::kSecurityData, Id::kReparseData});
  CHECK(Word(ReadFile(root / "Files/app/j.$wcidirs$")) == 0x410);
  CHECK(ReadFile(root / "Hives/System_Delta") == "regf-system");  // hives stay raw
  // The transport file itself carries the entry's times but no attributes (hcsshim).
  auto info = fs.meta[(root / "Files/app/a.txt").string()].info;
  REQUIRE(info);
  CHECK(info->attributes == 0);
  CHECK(win::FileTimeToTarTime(info->last_write_time) == SampleLayer()[2].first.mtime);

  CHECK(writer.tombstones() == std::vector<std::string>{"Files/app/old"});
  REQUIRE(writer.links().size() == 1);
  CHECK(writer.links()[0].name == "Files/app/hl");
  CHECK(writer.links()[0].target == "Files/app/a.txt");
  std::vector<std::string> dirs;
  for (const auto& d : writer.directories()) dirs.push_back(d.name);
  CHECK(dirs == std::vector<std::string>{"Files", "Files/app", "Files/app/j", "Hives"});
  CHECK_FALSE(std::filesystem::exists(root / "tombstones.txt"));
}

TEST_CASE("an exported transport folder streams back as the same entries", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  auto root = dir.path() / "export";
  std::filesystem::create_directory(root);
  win::TransportWriter writer(fs, root);
  auto sample = SampleLayer();
  REQUIRE(Feed(writer, sample));
  REQUIRE(writer.Finish());
  // What ExportLayer adds: deletions in tombstones.txt and hard links as linked files.
  kiln::testing::WriteFile(root / "tombstones.txt",
                           *win::FormatTombstones({"Files/app/old", "Files/gone"}));
  std::filesystem::create_hard_link(root / "Files/app/a.txt", root / "Files/app/hl");

  CollectingSink sink;
  REQUIRE(win::TransportReader(fs, root).Run(sink));
  std::vector<std::string> names;
  for (const auto& e : sink.entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"Files", "Files/.wh.gone", "Files/app",
                                          "Files/app/.wh.old", "Files/app/a.txt",
                                          "Files/app/a.txt:zone", "Files/app/hl", "Files/app/j",
                                          "Files/app/link", "Hives", "Hives/System_Delta"});
  const TarEntry& a = sink.Get("Files/app/a.txt");
  const TarEntry& original = sample[2].first;
  CHECK(a.type == EntryType::kFile);
  CHECK(sink.Content("Files/app/a.txt") == "hello");
  CHECK(a.win_attributes == 0x20u);
  CHECK(a.win_security_descriptor == original.win_security_descriptor);
  CHECK(a.mtime == original.mtime);
  CHECK(a.atime == original.atime);
  CHECK(a.ctime == original.ctime);
  CHECK(a.creation_time == original.creation_time);
  CHECK(sink.Content("Files/app/a.txt:zone") == "z");
  const TarEntry& hl = sink.Get("Files/app/hl");
  CHECK(hl.type == EntryType::kHardLink);
  CHECK(hl.linkname == "Files/app/a.txt");
  const TarEntry& j = sink.Get("Files/app/j");
  CHECK(j.type == EntryType::kSymlink);
  CHECK(j.linkname == "C:\\data");
  CHECK(j.win_mountpoint);
  CHECK(j.win_attributes == 0x410u);
  const TarEntry& link = sink.Get("Files/app/link");
  CHECK(link.linkname == "a.txt");
  CHECK_FALSE(link.win_mountpoint);
  const TarEntry& hive = sink.Get("Hives/System_Delta");
  CHECK(sink.Content("Hives/System_Delta") == "regf-system");
  CHECK(hive.win_security_descriptor.empty());
  CHECK(hive.creation_time == hive.mtime);  // reset to the write time outside Files/
  // The Files and Hives directories take System_Delta's times (stable exports).
  CHECK(sink.Get("Files").mtime == hive.mtime);
  CHECK(sink.Get("Hives").mtime == hive.mtime);
  CHECK(sink.Get("Files").win_attributes == uint32_t(win::kAttrDirectory));
}

TEST_CASE("the recycle bin and metadata files are not part of an export", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  auto root = dir.path();
  std::filesystem::create_directories(root / "Files/$Recycle.Bin/S-1-5");
  kiln::testing::WriteFile(root / "Files.$wcidirs$", std::string("\x10\0\0\0", 4));
  kiln::testing::WriteFile(root / "Files/$Recycle.Bin.$wcidirs$", std::string("\x10\0\0\0", 4));
  CollectingSink sink;
  auto status = win::TransportReader(fs, root).Run(sink);
  INFO((status ? "" : status.error().message));
  REQUIRE(status);
  REQUIRE(sink.entries.size() == 1);
  CHECK(sink.entries[0].name == "Files");
}

TEST_CASE("hostile or malformed entries are refused and nothing lands outside", "[unit]") {
  struct Case {
    std::vector<std::pair<TarEntry, std::string>> entries;
    const char* error;
  };
  auto dir_entry = [](const char* n) {
    return std::pair{WinEntry(n, EntryType::kDirectory, 0x10), std::string()};
  };
  auto file_entry = [](const char* n) {
    return std::pair{WinEntry(n, EntryType::kFile, 0x20), std::string("x")};
  };
  std::vector<Case> cases = {
      {{dir_entry("Files"), file_entry("Files/../../evil")}, "'.' or '..'"},
      {{dir_entry("Files"), file_entry("/abs")}, "absolute"},
      {{dir_entry("Files"), file_entry("Files/a/b")}, "parent directory \"Files/a\""},
      {{dir_entry("Files"), file_entry("Files/a"), file_entry("Files/A")}, "duplicate"},
      {{dir_entry("Files"), file_entry("Windows/x")}, "only Files/"},
      {{dir_entry("Files"), file_entry("Files/a"), file_entry("Files/b"), file_entry("Files/a:s")},
       "':' in name"},
      {{dir_entry("Files"),
        std::pair{WinEntry("Files/dev", EntryType::kCharDevice, 0), std::string()}},
       "devices"},
      {{dir_entry("Hives"),
        std::pair{WinEntry("Hives/.wh.x", EntryType::kFile, 0, true), std::string()}},
       "invalid tombstone"},
      {{dir_entry("Files"),
        std::pair{WinEntry("Files/l", EntryType::kHardLink, 0, true, "Hives/x"), std::string()}},
       "invalid hard link"},
      {{dir_entry("Files"),
        std::pair{WinEntry("Files/j", EntryType::kSymlink, 0x410, false, "C:\\"), std::string()},
        file_entry("Files/j/escape")},
       "parent directory \"Files/j\""},
  };
  for (const auto& c : cases) {
    TempDir dir;
    FakeLayerFs fs;
    auto root = dir.path() / "t";
    std::filesystem::create_directory(root);
    win::TransportWriter writer(fs, root);
    auto status = Feed(writer, c.entries);
    if (status) status = writer.Finish();
    INFO("expecting: " << c.error);
    REQUIRE_FALSE(status);
    CHECK(status.error().message.find(c.error) != std::string::npos);
    size_t outside = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      outside += e.path() != root;
    CHECK(outside == 0);
  }
}

TEST_CASE("UtilityVM entries are skipped, their content consumed", "[unit]") {
  TempDir dir;
  FakeLayerFs fs;
  win::TransportWriter writer(fs, dir.path());
  REQUIRE(Feed(writer, {{WinEntry("UtilityVM", EntryType::kDirectory, 0x10), ""},
                        {WinEntry("UtilityVM/Files", EntryType::kDirectory, 0x10), ""},
                        {WinEntry("UtilityVM/Files/bootmgr", EntryType::kFile, 0x20), "boot"}}));
  REQUIRE(writer.Finish());
  CHECK(writer.skipped_utility_vm());
  CHECK(std::filesystem::is_empty(dir.path()));
}
