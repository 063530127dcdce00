// Win32 backup streams: the encoder must produce, byte for byte, the hand-annotated fixtures
// written from MSDN's WIN32_STREAM_ID / REPARSE_DATA_BUFFER / FILE_FULL_EA_INFORMATION layouts,
// and the decoder must read them back into tar entries.
#include <catch2/catch.hpp>
#include <sstream>

#include "layers/windows/backup_file_decoder.h"
#include "layers/windows/backup_stream.h"
#include "layers/windows/extended_attributes.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/reparse_point.h"
#include "tests/support/test_env.h"

namespace win = kiln::layers::windows;
using kiln::layers::EntryType;
using kiln::layers::TarEntry;

namespace {

std::string LoadHex(const std::string& name) {
  std::string text = kiln::testing::ReadFile(kiln::testing::SourceDir() /
                                             "tests/layers/testdata/backup" / (name + ".hex"));
  std::string bytes;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    for (std::string w; words >> w;) bytes += static_cast<char>(std::stoi(w, nullptr, 16));
  }
  return bytes;
}

std::string Encode(const TarEntry& entry, const std::string& content = "") {
  kiln::core::StringWriter out;
  win::BackupStreamWriter writer(out);
  kiln::core::StringReader reader(content);
  auto status = win::WriteEntryStreams(entry, &reader, writer);
  REQUIRE(status);
  return out.data();
}

const std::string kUsersSd = [] {
  std::string sd = LoadHex("security_data").substr(20, 52);
  return sd;
}();

struct CollectSink : kiln::layers::DiffSink {
  std::vector<TarEntry> entries;
  std::vector<std::string> contents;
  kiln::core::Status Add(const TarEntry& e, kiln::core::Reader* content) override {
    entries.push_back(e);
    contents.push_back(content ? *kiln::core::ReadAll(*content, 1 << 20) : std::string());
    return {};
  }
};

win::DecodedBackupFile Decode(const std::string& bytes, EntryType type = EntryType::kFile) {
  win::StringRandomAccess source(bytes);
  TarEntry entry;
  entry.name = "Files/x";
  entry.type = type;
  auto decoded = win::DecodeBackupFile(source, 0, entry);
  REQUIRE(decoded);
  return *decoded;
}

}  // namespace

TEST_CASE("a data stream encodes as one WIN32_STREAM_ID header plus the bytes", "[unit]") {
  TarEntry e;
  e.name = "Files/hello.txt";
  e.size = 5;
  CHECK(Encode(e, "hello") == LoadHex("data"));
  auto d = Decode(LoadHex("data"));
  CHECK(d.entry.size == 5);
  REQUIRE(d.data);
  CHECK(d.data->payload_offset == 20);
}

TEST_CASE("the security descriptor stream precedes the data and becomes rawsd", "[unit]") {
  TarEntry e;
  e.name = "Files/hi.txt";
  e.size = 2;
  e.win_security_descriptor = kUsersSd;
  CHECK(kUsersSd.size() == 52);
  CHECK(Encode(e, "hi") == LoadHex("security_data"));
  auto d = Decode(LoadHex("security_data"));
  CHECK(d.entry.win_security_descriptor == kUsersSd);
  CHECK(d.entry.size == 2);
}

TEST_CASE("extended attributes round-trip through FILE_FULL_EA_INFORMATION", "[unit]") {
  TarEntry e;
  e.name = "Files/dir";
  e.type = EntryType::kDirectory;
  e.win_eas = {{"A", "xy"}, {"LONGER", ""}};
  CHECK(Encode(e) == LoadHex("ea"));
  auto d = Decode(LoadHex("ea"), EntryType::kDirectory);
  CHECK(d.entry.win_eas == e.win_eas);
  CHECK(d.entry.type == EntryType::kDirectory);
  CHECK_FALSE(win::EncodeExtendedAttributes({{std::string(256, 'n'), "v"}}));
  CHECK_FALSE(win::DecodeExtendedAttributes(std::string("\x0c\0\0\0\0\x05\x02\0A", 9)));
}

TEST_CASE("a relative symlink encodes forward slashes as backslashes with the relative flag",
          "[unit]") {
  TarEntry e;
  e.name = "Files/link";
  e.type = EntryType::kSymlink;
  e.linkname = "../a";
  CHECK(Encode(e) == LoadHex("symlink"));
  auto d = Decode(LoadHex("symlink"));
  CHECK(d.entry.type == EntryType::kSymlink);
  CHECK(d.entry.linkname == "..\\a");
  CHECK_FALSE(d.entry.win_mountpoint);
}

TEST_CASE("a junction gets an NT substitute name and comes back with mountpoint set", "[unit]") {
  TarEntry e;
  e.name = "Files/j";
  e.type = EntryType::kSymlink;
  e.linkname = "C:\\d";
  e.win_mountpoint = true;
  CHECK(Encode(e) == LoadHex("junction"));
  auto d = Decode(LoadHex("junction"), EntryType::kDirectory);
  CHECK(d.entry.type == EntryType::kSymlink);
  CHECK(d.entry.linkname == "C:\\d");
  CHECK(d.entry.win_mountpoint);
  auto unc = win::EncodeReparsePoint({"\\\\srv\\share", false});
  REQUIRE(unc);
  CHECK(unc->find(std::string("\\\0?\0?\0\\\0U\0N\0C\0", 14)) != std::string::npos);
}

TEST_CASE("other reparse tags are refused as unsupported", "[unit]") {
  std::string buffer = LoadHex("symlink").substr(20);
  buffer[0] = 0x17;  // IO_REPARSE_TAG_... (e.g. a cloud file), not symlink or mount point
  auto decoded = win::DecodeReparsePoint(buffer);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().message.find("unsupported reparse point a0000017") != std::string::npos);
}

TEST_CASE("a sparse file is made dense and sized from its terminating block", "[unit]") {
  std::string bytes = LoadHex("sparse");
  auto d = Decode(bytes);
  CHECK(d.entry.size == 8192);
  CHECK(d.sparse_blocks.size() == 2);
  win::StringRandomAccess source(bytes);
  CollectSink sink;
  REQUIRE(win::EmitBackupFile(source, d, sink));
  REQUIRE(sink.contents.size() == 1);
  std::string expected(8192, '\0');
  expected.replace(4096, 3, "abc");
  CHECK(sink.contents[0] == expected);
}

TEST_CASE("alternate data streams become <file>:<stream> entries after their file", "[unit]") {
  TarEntry e;
  e.name = "Files/main";
  e.size = 4;
  kiln::core::StringWriter out;
  win::BackupStreamWriter writer(out);
  kiln::core::StringReader main("main"), zone("x");
  REQUIRE(win::WriteEntryStreams(e, &main, writer));
  REQUIRE(win::WriteAlternateStream("zone", 1, &zone, writer));
  CHECK(out.data() == LoadHex("ads"));

  std::string bytes = LoadHex("ads");
  auto d = Decode(bytes);
  win::StringRandomAccess source(bytes);
  CollectSink sink;
  REQUIRE(win::EmitBackupFile(source, d, sink));
  REQUIRE(sink.entries.size() == 2);
  CHECK(sink.entries[0].name == "Files/x");
  CHECK(sink.contents[0] == "main");
  CHECK(sink.entries[1].name == "Files/x:zone");
  CHECK(sink.contents[1] == "x");
  CHECK_FALSE(sink.entries[1].win_attributes);
}

TEST_CASE("truncated and malformed backup streams are rejected", "[unit]") {
  std::string data = LoadHex("data");
  for (size_t cut : {size_t{3}, size_t{19}, size_t{22}}) {
    win::StringRandomAccess source(data.substr(0, cut));
    INFO("cut at " << cut);
    CHECK_FALSE(win::IndexBackupStream(source, 0));
  }
  std::string bad_id = data;
  bad_id[0] = 42;
  win::StringRandomAccess source(bad_id);
  CHECK_FALSE(win::IndexBackupStream(source, 0));

  kiln::core::StringWriter out;
  win::BackupStreamWriter writer(out);
  win::BackupStreamHeader h;
  h.size = 4;
  REQUIRE(writer.WriteHeader(h));
  CHECK_FALSE(writer.Write("12345"));
  REQUIRE(writer.Write("1234"));
  CHECK(writer.Finish());
  REQUIRE(writer.WriteHeader(h));
  CHECK_FALSE(writer.Finish());
}

TEST_CASE("sparse blocks that overlap or pass the file size are rejected", "[unit]") {
  win::StringRandomAccess source(LoadHex("sparse"));
  auto records = win::IndexBackupStream(source, 0);
  REQUIRE(records);
  std::vector<win::BackupStreamRecord> blocks(records->begin() + 1, records->end());
  CHECK(win::SparseReader(source, blocks, 8192));
  CHECK_FALSE(win::SparseReader(source, blocks, 4097));
  std::swap(blocks[0], blocks[1]);
  blocks[1].header.sparse_offset = 100;
  CHECK_FALSE(win::SparseReader(source, blocks, 8192));
}
