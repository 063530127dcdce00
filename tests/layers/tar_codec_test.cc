#include <catch2/catch.hpp>

#include <cstring>

#include "core/base64.h"
#include "layers/pax.h"
#include "layers/tar_reader.h"
#include "layers/tar_writer.h"
#include "tests/layers/layer_test_util.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
using testutil::WriteTar;

namespace {

std::vector<std::pair<TarEntry, std::string>> ReadTar(const std::string& tar) {
  std::vector<std::pair<TarEntry, std::string>> out;
  for (auto& r : testutil::ReadLayer(tar)) out.emplace_back(std::move(r.entry), std::move(r.data));
  return out;
}

TarEntry File(std::string name, uint64_t size) {
  TarEntry e;
  e.name = std::move(name);
  e.size = size;
  e.mtime = {1700000000, 0};
  return e;
}

}  // namespace

TEST_CASE("PAX times are formatted and parsed like Go's archive/tar", "[unit]") {
  CHECK(pax::FormatTime({1700000000, 0}) == "1700000000");
  CHECK(pax::FormatTime({1700000000, 123456789}) == "1700000000.123456789");
  CHECK(pax::FormatTime({1, 500000000}) == "1.5");
  CHECK(pax::FormatTime({0, 100}) == "0.0000001");
  CHECK(pax::FormatTime({-2, 500000000}) == "-1.5");
  CHECK(pax::FormatTime({-1, 0}) == "-1");
  for (TarTime t : {TarTime{1700000000, 0}, TarTime{1, 500000000}, TarTime{-2, 500000000},
                    TarTime{-1, 999999999}, TarTime{0, 1}}) {
    auto back = pax::ParseTime(pax::FormatTime(t));
    REQUIRE(back);
    CHECK(*back == t);
  }
  CHECK(*pax::ParseTime("1.1234567891") == TarTime{1, 123456789});  // truncated to 9 digits
  CHECK(*pax::ParseTime("-0.5") == TarTime{-1, 500000000});
  CHECK_FALSE(pax::ParseTime("1.5x"));
  CHECK_FALSE(pax::ParseTime(""));
  CHECK_FALSE(pax::ParseTime("abc"));
}

TEST_CASE("PAX record lengths count their own digits", "[unit]") {
  std::string out;
  pax::AppendRecord(out, "a", "b");  // " a=b\n" = 5 bytes + "6" -> 6
  CHECK(out == "6 a=b\n");
  out.clear();
  pax::AppendRecord(out, "path", std::string(92, 'x'));  // 99 + "101" would be 102: "102 "
  CHECK(out.substr(0, 4) == "102 ");
  CHECK(out.size() == 102);
  auto parsed = pax::ParseRecords(out + "6 a=b\n");
  REQUIRE(parsed);
  CHECK(parsed->size() == 2);
  CHECK((*parsed)[1] == std::pair<std::string, std::string>{"a", "b"});
}

TEST_CASE("bad PAX record lengths are rejected with the offset", "[unit]") {
  for (std::string body : {"99 a=b\n", "x a=b\n", "5 a=b\n", "6 a=bX", "6 =bb\n", "-6 a=b\n",
                           "0 a=b\n", "18446744073709551622 a=b\n"}) {
    auto r = pax::ParseRecords(body);
    INFO(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("at byte 0 of a PAX header") != std::string::npos);
  }
}

TEST_CASE("entries round-trip with long and UTF-8 names, vendor records and Windows metadata",
          "[unit]") {
  TarEntry a = File(std::string(150, 'a') + "/" + std::string(90, 'b'), 5);  // ustar prefix
  TarEntry b = File("dir/" + std::string(300, 'n'), 3);                       // PAX path
  TarEntry c = File("Files/ünïcödé/ファイル.txt", 0);
  c.mtime = {1700000000, 123456700};
  c.atime = TarTime{1600000000, 5};
  c.ctime = TarTime{-5, 0};
  c.creation_time = TarTime{1500000000, 500000000};
  c.win_attributes = 0x20 | 0x1;
  c.win_security_descriptor = std::string("\x01\x00\x00\x80 binary\0sd", 13);
  c.win_eas["$KERNEL.PURGE.ESBCACHE"] = std::string("\0\1\2", 3);
  c.pax_extra["VENDOR.thing"] = "value with spaces";
  c.pax_extra["MSWINDOWS.sd"] = "O:BAG:BA";
  TarEntry d;
  d.type = EntryType::kSymlink;
  d.name = "link";
  d.linkname = std::string(200, 'l');
  d.uid = 70000000;  // does not fit 7 octal digits
  d.gid = 12;
  d.uname = "a-very-long-user-name-that-needs-pax";
  d.mtime = {1700000000, 0};
  TarEntry e;
  e.type = EntryType::kDirectory;
  e.name = "d";
  e.mode = 01755;
  e.xattrs["user.k"] = std::string("v\0w", 3);
  e.xattrs["security.capability"] = "cap";
  TarEntry f = File("big", 0);
  f.size = 0;
  f.mtime = {-100, 0};
  std::string tar = WriteTar({{a, "hello"}, {b, "abc"}, {c, ""}, {d, ""}, {e, ""}, {f, ""}});
  CHECK(tar.size() % 512 == 0);
  auto back = ReadTar(tar);
  REQUIRE(back.size() == 6);
  CHECK(back[0].first.name == a.name);
  CHECK(back[0].second == "hello");
  CHECK(back[1].first.name == b.name);
  CHECK(back[1].second == "abc");
  const TarEntry& rc = back[2].first;
  CHECK(rc.name == c.name);
  CHECK(rc.mtime == c.mtime);
  CHECK(rc.atime == c.atime);
  CHECK(rc.ctime == c.ctime);
  CHECK(rc.creation_time == c.creation_time);
  CHECK(rc.win_attributes == c.win_attributes);
  CHECK(rc.win_security_descriptor == c.win_security_descriptor);
  CHECK(rc.win_eas == c.win_eas);
  CHECK(rc.pax_extra == c.pax_extra);
  const TarEntry& rd = back[3].first;
  CHECK(rd.type == EntryType::kSymlink);
  CHECK(rd.linkname == d.linkname);
  CHECK(rd.uid == d.uid);
  CHECK(rd.gid == 12);
  CHECK(rd.uname == d.uname);
  CHECK(back[4].first.is_dir());
  CHECK(back[4].first.mode == 01755);
  CHECK(back[4].first.xattrs == e.xattrs);
  CHECK(back[5].first.mtime == TarTime{-100, 0});
}

TEST_CASE("the writer is deterministic: PAX records sorted, no machine-dependent fields", "[unit]") {
  TarEntry c = File("x", 0);
  c.pax_extra["b"] = "2";
  c.pax_extra["a"] = "1";
  c.win_attributes = 32;
  std::string records = PaxRecordsFor(c, "x");
  CHECK(records == "25 MSWINDOWS.fileattr=32\n6 a=1\n6 b=2\n");
  CHECK(WriteTar({{c, ""}}) == WriteTar({{c, ""}}));
  CHECK(PaxRecordsFor(File("plain", 1), "plain").empty());
}

TEST_CASE("GNU tar, python tarfile and our reader agree on what we write", "[integration]") {
  testing::TempDir dir;
  TarEntry c = File("Files/ünï/" + std::string(120, 'x') + ".txt", 4);
  c.win_attributes = 33;
  c.win_security_descriptor = "\x01\x00\x00\x80";
  c.creation_time = TarTime{1600000000, 500000000};
  testing::WriteFile(dir / "t.tar", WriteTar({{c, "data"}}));
  auto gnu = testing::Shell("LC_ALL=C.UTF-8 tar --warning=no-unknown-keyword -tvf " +
                            (dir / "t.tar").string());
  CHECK(gnu.exit_code == 0);
  CHECK(gnu.err.empty());
  CHECK(gnu.out.find(c.name) != std::string::npos);
  auto py = testing::Run({"python3", "-c",
                          "import tarfile,sys\n"
                          "m=tarfile.open(sys.argv[1]).getmembers()[0]\n"
                          "print(m.name, m.pax_headers['MSWINDOWS.fileattr'], "
                          "m.pax_headers['MSWINDOWS.rawsd'], m.pax_headers['LIBARCHIVE.creationtime'])",
                          (dir / "t.tar").string()});
  CHECK(py.exit_code == 0);
  CHECK(py.out == c.name + " 33 " + core::Base64Encode(c.win_security_descriptor) +
                      " 1600000000.5\n");
}

TEST_CASE("GNU-format archives with long names and base-256 numbers are read", "[integration]") {
  testing::TempDir dir;
  std::string longname(150, 'g');
  std::string script = "cd " + dir.path().string() + " && mkdir src && echo hi > src/" +
                       longname + " && ln -s " + std::string(120, 't') + " src/sl && " +
                       "tar --format=gnu --owner=3000000 --group=0 -cf gnu.tar -C src . && " +
                       "mkdir -p src2/" + std::string(100, 'p') + " && echo u > src2/" + std::string(100, 'p') +
                       "/" + std::string(90, 'q') + " && tar --format=ustar -cf ustar.tar -C src2 " +
                       std::string(100, 'p') + "/" + std::string(90, 'q');
  auto r = testing::Shell(script);
  REQUIRE(r.exit_code == 0);
  auto gnu = ReadTar(testing::ReadFile(dir / "gnu.tar"));
  bool found_file = false, found_link = false;
  for (const auto& [e, data] : gnu) {
    if (e.name == longname) {
      found_file = true;
      CHECK(data == "hi\n");
      CHECK(e.uid == 3000000);  // base-256 in the GNU header
    }
    if (e.name == "sl") {
      found_link = true;
      CHECK(e.linkname == std::string(120, 't'));
    }
  }
  CHECK(found_file);
  CHECK(found_link);
  CHECK(gnu[0].first.name.empty());  // "./" is the root itself
  auto ustar = ReadTar(testing::ReadFile(dir / "ustar.tar"));
  REQUIRE(ustar.size() == 1);
  CHECK(ustar[0].first.name == std::string(100, 'p') + "/" + std::string(90, 'q'));  // prefix
}

TEST_CASE("truncated archives and corrupt headers give clear errors", "[unit]") {
  std::string tar = WriteTar({{File("file", 1000), std::string(1000, 'z')}});
  auto read_all = [](std::string data) -> core::Status {
    core::StringReader in(data);
    TarReader r(in);
    for (;;) {
      KILN_ASSIGN(const TarEntry* e, r.Next());
      if (!e) return {};
      KILN_TRY(core::ReadAll(r.content(), 1 << 20));
    }
  };
  auto cut = read_all(tar.substr(0, 700));
  REQUIRE_FALSE(cut);
  CHECK(cut.error().message ==
        "truncated tar archive: entry 1 \"file\" needs 812 more bytes");
  auto header = read_all(tar.substr(0, 300));
  REQUIRE_FALSE(header);
  CHECK(header.error().message.find("header cut short") != std::string::npos);
  std::string bad = tar;
  bad[10] ^= 1;
  auto sum = read_all(bad);
  REQUIRE_FALSE(sum);
  CHECK(sum.error().message.find("checksum mismatch") != std::string::npos);
  CHECK(read_all(tar.substr(0, 1536)));  // no end-of-archive blocks: accepted
}

// A raw header block (name, typeflag, size) with a valid checksum.
std::string RawHeader(const std::string& name, char type, uint64_t size) {
  std::string b(512, '\0');
  std::copy(name.begin(), name.end(), b.begin());
  snprintf(b.data() + 100, 8, "%07o", 0644);
  snprintf(b.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  snprintf(b.data() + 136, 12, "%011o", 0);
  b[156] = type;
  std::memcpy(b.data() + 257, "ustar\0" "00", 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(b[i]);
  snprintf(b.data() + 148, 8, "%06o", sum);
  b[155] = ' ';
  return b;
}

std::string Padded(std::string s) {
  s.resize((s.size() + 511) / 512 * 512, '\0');
  return s;
}

core::Status ReadFirst(const std::string& tar) {
  core::StringReader in(tar);
  TarReader r(in);
  KILN_TRY(r.Next());
  return {};
}

std::string Rec(std::string_view k, std::string_view v) {
  std::string out;
  pax::AppendRecord(out, k, v);
  return out;
}

std::string WithPax(const std::string& records) {
  return RawHeader("PaxHeaders/f", 'x', records.size()) + Padded(records) + RawHeader("f", '0', 0) +
         std::string(1024, '\0');
}

TEST_CASE("hostile PAX headers are rejected", "[unit]") {
  struct Case {
    std::string records, error;
  } cases[] = {
      {"30 path=x\n", "PAX record length 30 out of range"},
      {Rec("mtime", "1x"), "invalid PAX time"},
      {Rec("MSWINDOWS.fileattr", "-16"), "MSWINDOWS.fileattr"},
      {Rec("MSWINDOWS.rawsd", "!!!"), "MSWINDOWS.rawsd"},
      {Rec("GNU.sparse.major", "1"), "sparse"},
      {Rec("size", "-1"), "invalid PAX size"},
      {Rec("uid", "99999999999"), "invalid PAX uid"},
      {"12 mtime=1xZ", "does not end in a newline"},
  };
  for (const auto& c : cases) {
    INFO(c.records);
    auto r = ReadFirst(WithPax(c.records));
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().message.find(c.error) != std::string::npos);
    CHECK(r.error().message.find("tar entry 1 at byte ") == 0);
  }
  // A PAX header claiming 8 GiB is refused before anything is read.
  auto huge = ReadFirst(RawHeader("PaxHeaders/f", 'x', 077777777777ull));
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("exceeds the 1048576-byte limit") != std::string::npos);
  auto cut = ReadFirst(RawHeader("PaxHeaders/f", 'x', 100) + std::string(50, '1'));
  REQUIRE_FALSE(cut);
  CHECK(cut.error().message.find("PAX header cut short") != std::string::npos);
  auto type = ReadFirst(RawHeader("f", 'Z', 0));
  REQUIRE_FALSE(type);
  CHECK(type.error().message.find("unsupported entry type 'Z'") != std::string::npos);
}

TEST_CASE("names are normalised but unsafe parts are kept for validators", "[unit]") {
  CHECK(NormalizeTarName("./a/b/") == "a/b");
  CHECK(NormalizeTarName("./") == "");
  CHECK(NormalizeTarName(".") == "");
  CHECK(NormalizeTarName("../x") == "../x");
  CHECK(NormalizeTarName("/etc/passwd") == "/etc/passwd");
  CHECK(NormalizeTarName(".//./a") == "a");
}
