// Real layer tars through the Windows conversion: a layer written by kiln's LayerWriter is
// unpacked (decompression, tar reader, diff_id check) into a transport folder, read back as
// ExportLayer's output would be, and written again through LayerWriter in stream mode; the
// result passes CheckWindowsLayer and carries the same entries and PAX metadata.
#include <algorithm>
#include <catch2/catch.hpp>

#include "layers/layer_check.h"
#include "layers/tar_reader.h"
#include "layers/windows/layer_unpack.h"
#include "layers/windows/tombstones.h"
#include "layers/windows/transport_reader.h"
#include "layers/windows/transport_writer.h"
#include "tests/layers/fake_layer_fs.h"
#include "tests/layers/layer_test_util.h"
#include "tests/layers/windows_entries.h"
#include "tests/support/test_env.h"

namespace win = kiln::layers::windows;
using kiln::layers::EntryType;
using kiln::layers::LayerFlavor;
using kiln::layers::LayerOptions;
using kiln::layers::LayerWriter;
using kiln::layers::SnapshotLayer;
using kiln::layers::TarEntry;
using kiln::layers::testutil::MemoryBlob;
using kiln::layers::testutil::ReadLayer;
using kiln::testing::FakeLayerFs;
using kiln::testing::Feed;
using kiln::testing::TempDir;
using kiln::testing::WinEntry;

namespace {

struct Blob {
  std::string bytes;
  SnapshotLayer layer;
};

Blob WriteLayer(const std::vector<std::pair<TarEntry, std::string>>& entries, bool roots) {
  LayerOptions options;
  options.flavor = LayerFlavor::kWindows;
  options.emit_windows_roots = roots;
  Blob out;
  auto writer = LayerWriter::Create(options, std::make_unique<MemoryBlob>(&out.bytes));
  REQUIRE(writer);
  auto fed = Feed(**writer, entries);
  INFO((fed ? "" : fed.error().message));
  REQUIRE(fed);
  auto result = (*writer)->Finish();
  REQUIRE(result);
  out.layer.blob = result->blob;
  out.layer.diff_id = result->diff_id;
  return out;
}

// LayerWriter as the sink of a diff (what the builder passes to Snapshotter::Diff).
struct WriterSink : kiln::layers::DiffSink {
  std::unique_ptr<LayerWriter> writer;
  kiln::core::Status Add(const TarEntry& e, kiln::core::Reader* content) override {
    return writer->Add(e, content);
  }
};

std::vector<std::pair<TarEntry, std::string>> Sample() {
  return {
      {WinEntry("Files/app", EntryType::kDirectory, 0x10), ""},
      {WinEntry("Files/app/a.txt", EntryType::kFile, 0x21), "hello"},
      {WinEntry("Files/app/a.txt:zone", EntryType::kFile, 0, true), "[ZoneTransfer]"},
      {WinEntry("Files/app/hl", EntryType::kHardLink, 0, true, "Files/app/a.txt"), ""},
      {WinEntry("Files/app/link", EntryType::kSymlink, 0x20, false, "a.txt"), ""},
      {WinEntry("Files/app/j", EntryType::kSymlink, 0x410, false, "C:\\data", true), ""},
      {WinEntry("Files/app/.wh.gone", EntryType::kFile, 0, true), ""},
  };
}

}  // namespace

TEST_CASE("a layer tar survives unpack -> transport folder -> export -> LayerWriter", "[unit]") {
  Blob original = WriteLayer(Sample(), /*roots=*/true);
  TempDir dir;
  FakeLayerFs fs;
  win::TransportWriter transport(fs, dir.path());
  kiln::core::StringReader blob(original.bytes);
  auto unpacked = win::UnpackLayer(original.layer, blob, transport);
  INFO((unpacked ? "" : unpacked.error().message));
  REQUIRE(unpacked);
  REQUIRE(transport.Finish());
  // What vmcompute's export adds back: the deletion list and the hard link as a linked file.
  kiln::testing::WriteFile(dir.path() / "tombstones.txt",
                           *win::FormatTombstones(transport.tombstones()));
  REQUIRE(transport.links().size() == 1);
  std::filesystem::create_hard_link(dir.path() / "Files/app/a.txt", dir.path() / "Files/app/hl");

  LayerOptions options;
  options.flavor = LayerFlavor::kWindows;
  options.emit_windows_roots = false;  // the export has its own Files and Hives entries
  std::string again_bytes;
  WriterSink sink;
  sink.writer =
      std::move(*LayerWriter::Create(options, std::make_unique<MemoryBlob>(&again_bytes)));
  auto exported = win::TransportReader(fs, dir.path()).Run(sink);
  INFO((exported ? "" : exported.error().message));
  REQUIRE(exported);
  REQUIRE(sink.writer->Finish());

  // A transport folder has no order of its own: the export comes out in lexical order.
  auto by_name = [](std::vector<kiln::layers::testutil::ReadEntry> v) {
    std::sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.entry.name < y.entry.name; });
    return v;
  };
  auto before = by_name(ReadLayer(original.bytes));
  auto after = by_name(ReadLayer(again_bytes));
  REQUIRE(kiln::layers::testutil::Names(after) == kiln::layers::testutil::Names(before));
  for (size_t i = 0; i < before.size(); ++i) {
    const TarEntry& b = before[i].entry;
    const TarEntry& a = after[i].entry;
    INFO(b.name);
    CHECK(a.type == b.type);
    CHECK(a.linkname == b.linkname);
    CHECK(after[i].data == before[i].data);
    // Exports give hard links the file's basic info and streams the file's times (hcsshim).
    if (b.type == EntryType::kHardLink || b.name.find(':') != std::string::npos) continue;
    CHECK(a.win_attributes == b.win_attributes);
    CHECK(a.win_security_descriptor == b.win_security_descriptor);
    CHECK(a.win_mountpoint == b.win_mountpoint);
    if (b.name != "Files" && b.name != "Hives") {  // these take Hives\System_Delta's times
      CHECK(a.mtime == b.mtime);
      CHECK(a.creation_time == b.creation_time);
    }
  }
  kiln::core::StringReader tar_in(again_bytes);
  auto tar = kiln::layers::NewDecompressor(tar_in);
  REQUIRE(tar);
  auto report = kiln::layers::CheckWindowsLayer(**tar);
  REQUIRE(report);
  CHECK(report->ErrorsText() == "");
}

TEST_CASE("a layer whose content does not match its diff_id is refused", "[unit]") {
  Blob layer = WriteLayer({{WinEntry("Files/x", EntryType::kFile, 0x20), "x"}}, true);
  layer.layer.diff_id = kiln::core::Digest::Sha256Of("something else");
  TempDir dir;
  FakeLayerFs fs;
  win::TransportWriter transport(fs, dir.path());
  kiln::core::StringReader blob(layer.bytes);
  auto status = win::UnpackLayer(layer.layer, blob, transport);
  REQUIRE_FALSE(status);
  CHECK(status.error().message.find("expected " + layer.layer.diff_id.ToString()) !=
        std::string::npos);
}

TEST_CASE("a truncated layer blob fails with the layer named", "[unit]") {
  Blob layer =
      WriteLayer({{WinEntry("Files/x", EntryType::kFile, 0x20), std::string(5000, 'x')}}, true);
  std::string cut = layer.bytes.substr(0, layer.bytes.size() / 2);
  TempDir dir;
  FakeLayerFs fs;
  win::TransportWriter transport(fs, dir.path());
  kiln::core::StringReader blob(cut);
  auto status = win::UnpackLayer(layer.layer, blob, transport);
  REQUIRE_FALSE(status);
  CHECK(status.error().message.starts_with("layer " + layer.layer.diff_id.ToString()));
}
