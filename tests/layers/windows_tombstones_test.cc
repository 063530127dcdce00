// tombstones.txt of transport folders.
#include <catch2/catch.hpp>

#include "layers/windows/tombstones.h"

namespace win = kiln::layers::windows;

TEST_CASE("tombstones parse into Files/ names with either line ending", "[unit]") {
  auto names =
      win::ParseTombstones("\xEF\xBB\xBFVersion 1.0\r\n\\Windows\\old.dll\r\n\n\\a b\\c\xC3\xA9\n");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"Files/Windows/old.dll", "Files/a b/c\xC3\xA9"});
  auto none = win::ParseTombstones("\xEF\xBB\xBFVersion 1.0\n");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("tombstones without the header or the leading backslash are rejected", "[unit]") {
  CHECK_FALSE(win::ParseTombstones("Version 1.0\n\\a\n"));
  CHECK_FALSE(win::ParseTombstones(""));
  CHECK_FALSE(win::ParseTombstones("\xEF\xBB\xBFVersion 1.0\nrelative\n"));
}

TEST_CASE("tombstones format back to the same text", "[unit]") {
  auto text = win::FormatTombstones({"Files/Windows/old.dll", "Files/x"});
  REQUIRE(text);
  CHECK(*text == "\xEF\xBB\xBFVersion 1.0\r\n\\Windows\\old.dll\r\n\\x\r\n");
  CHECK(*win::ParseTombstones(*text) ==
        std::vector<std::string>{"Files/Windows/old.dll", "Files/x"});
  CHECK_FALSE(win::FormatTombstones({"Hives/x"}));
  CHECK_FALSE(win::FormatTombstones({"Files/"}));
}
