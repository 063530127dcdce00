// FILETIME <-> tar times, tar entry <-> FILE_BASIC_INFO, UTF-16, GUID text.
#include <catch2/catch.hpp>

#include "layers/windows/file_info.h"
#include "layers/windows/layer_api.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/utf16.h"

namespace win = kiln::layers::windows;
using kiln::layers::EntryType;
using kiln::layers::TarEntry;
using kiln::layers::TarTime;

TEST_CASE("FILETIME ticks convert to Unix seconds and nanoseconds and back", "[unit]") {
  CHECK(win::FileTimeToTarTime(116444736000000000) == TarTime{0, 0});
  CHECK(win::FileTimeToTarTime(116444736000000001) == TarTime{0, 100});
  CHECK(win::FileTimeToTarTime(116444735999999999) == TarTime{-1, 999999900});
  CHECK(win::FileTimeToTarTime(0) == TarTime{-11644473600, 0});
  for (TarTime t : {TarTime{1700000000, 123456700}, TarTime{-5, 100}, TarTime{0, 0}})
    CHECK(win::FileTimeToTarTime(win::TarTimeToFileTime(t)) == t);
  // Sub-100ns parts are truncated, as Go's NsecToFiletime does.
  CHECK(win::TarTimeToFileTime({1, 199}) == win::TarTimeToFileTime({1, 100}));
}

TEST_CASE("imported entries take attributes and times as go-winio does", "[unit]") {
  TarEntry dir;
  dir.type = EntryType::kDirectory;
  dir.mtime = {100, 0};
  auto info = win::BasicInfoFromEntry(dir);
  CHECK(info.attributes == win::kAttrDirectory);
  CHECK(info.creation_time == info.last_write_time);  // no creationtime: mtime
  TarEntry file;
  file.mtime = {100, 0};
  file.atime = TarTime{200, 0};
  file.ctime = TarTime{300, 0};
  file.creation_time = TarTime{50, 0};
  file.win_attributes = 0x21;
  info = win::BasicInfoFromEntry(file);
  CHECK(info.attributes == 0x21);
  CHECK(win::FileTimeToTarTime(info.last_access_time) == TarTime{200, 0});
  CHECK(win::FileTimeToTarTime(info.change_time) == TarTime{300, 0});
  CHECK(win::FileTimeToTarTime(info.creation_time) == TarTime{50, 0});
  TarEntry back;
  win::ApplyBasicInfo(info, back);
  CHECK(back.mtime == file.mtime);
  CHECK(back.atime == file.atime);
  CHECK(back.ctime == file.ctime);
  CHECK(back.creation_time == file.creation_time);
  CHECK(back.win_attributes == 0x21u);
}

TEST_CASE("UTF-16 conversion handles surrogate pairs and refuses malformed text", "[unit]") {
  auto u16 = win::Utf8ToUtf16("a\xC3\xA9\xF0\x9F\x98\x80");  // a, e-acute, U+1F600
  REQUIRE(u16);
  CHECK(*u16 == std::u16string{u'a', u'\u00e9', char16_t(0xD83D), char16_t(0xDE00)});
  CHECK(win::Utf16ToUtf8(*u16) == "a\xC3\xA9\xF0\x9F\x98\x80");
  CHECK_FALSE(win::Utf8ToUtf16("\xC0\xAF"));      // overlong '/'
  CHECK_FALSE(win::Utf8ToUtf16("\xED\xA0\x80"));  // encoded surrogate
  CHECK_FALSE(win::Utf8ToUtf16("\xE2\x82"));      // truncated
  CHECK_FALSE(win::Utf16ToUtf8(std::u16string{char16_t(0xDC00)}));
  CHECK(win::Utf16FromBytes(win::Utf16ToBytes(u"x\u1234")) == u"x\u1234");
}

TEST_CASE("GUIDs print in the lower-case HCS form", "[unit]") {
  win::Guid g{0x0c8a7f2e, 0x3b61, 0x5d7e, {0x9a, 0x43, 0x6f, 0x1e, 0x2d, 0x9b, 0x0a, 0x11}};
  CHECK(g.ToString() == "0c8a7f2e-3b61-5d7e-9a43-6f1e2d9b0a11");
}

TEST_CASE("layer entry names are checked for escapes and odd characters", "[unit]") {
  CHECK(win::CheckEntryName("Files/Windows/System32/cmd.exe"));
  CHECK(win::CheckEntryName("Files/caf\xC3\xA9"));
  for (const char* bad : {"", "/Files/x", "Files//x", "Files/../x", "Files/./x", "Files/a\\b",
                          "Files/a:b", "Files/x/", "Files/\xFF"}) {
    INFO(bad);
    CHECK_FALSE(win::CheckEntryName(bad));
  }
  CHECK(win::WhiteoutTarget("Files/dir/.wh.gone") == "Files/dir/gone");
  CHECK_FALSE(win::WhiteoutTarget("Files/dir/gone.wh."));
  CHECK(*win::AlternateStreamOf("Files/a:zone", "Files/a") == "zone");
  CHECK_FALSE(*win::AlternateStreamOf("Files/ab:zone", "Files/a"));
  CHECK_FALSE(win::AlternateStreamOf("Files/a:", "Files/a"));
  CHECK_FALSE(win::AlternateStreamOf("Files/a:x/y", "Files/a"));
  CHECK(win::IsUnder("Files/a", "Files"));
  CHECK_FALSE(win::IsUnder("Files", "Files"));
  CHECK_FALSE(win::IsUnder("FilesX/a", "Files"));
}
