#include "parser/runes.h"

#include <algorithm>

#include "parser/unicode_tables.h"

namespace kiln::parser {
namespace {

using unicode_tables::RuneRange;

bool InTable(const RuneRange* table, size_t size, char32_t r) {
  const RuneRange* end = table + size;
  const RuneRange* it =
      std::upper_bound(table, end, r, [](char32_t v, const RuneRange& rr) { return v < rr.lo; });
  return it != table && r <= (it - 1)->hi;
}

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Like Go's utf8.DecodeLastRuneInString.
DecodedRune DecodeLastRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  size_t end = s.size();
  if (static_cast<unsigned char>(s[end - 1]) < 0x80) {
    return {static_cast<unsigned char>(s[end - 1]), 1};
  }
  size_t lim = end >= 4 ? end - 4 : 0;
  size_t start = end - 1;
  while (start > lim && IsContinuation(static_cast<unsigned char>(s[start]))) --start;
  DecodedRune d = DecodeRune(s.substr(start));
  if (start + d.width != end) return {kRuneError, 1};
  return d;
}

}  // namespace

DecodedRune DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = b(0);
  if (b0 < 0x80) return {b0, 1};
  size_t need;
  char32_t r, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < need) return {kRuneError, 1};
  for (size_t i = 1; i < need; ++i) {
    if (!IsContinuation(b(i))) return {kRuneError, 1};
    r = (r << 6) | (b(i) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {kRuneError, 1};
  return {r, need};
}

void AppendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

std::u32string DecodeRunes(std::string_view s) {
  std::u32string out;
  while (!s.empty()) {
    DecodedRune d = DecodeRune(s);
    out.push_back(d.rune);
    s.remove_prefix(d.width);
  }
  return out;
}

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    DecodedRune d = DecodeRune(s);
    if (d.rune == kRuneError && d.width == 1) {
      AppendRune(out, kRuneError);
    } else {
      out.append(s.substr(0, d.width));
    }
    s.remove_prefix(d.width);
  }
  return out;
}

bool IsSpace(char32_t r) {
  if (r <= 0xFF) {
    return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  }
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
         r == 0x205F || r == 0x3000;
}

bool IsLetter(char32_t r) {
  if (r < 0x80) return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
  return InTable(unicode_tables::kLetter, unicode_tables::kLetterSize, r);
}

bool IsDigit(char32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  return InTable(unicode_tables::kDigit, unicode_tables::kDigitSize, r);
}

bool IsPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  return InTable(unicode_tables::kPrint, unicode_tables::kPrintSize, r);
}

std::string_view TrimLeftSpace(std::string_view s) {
  while (!s.empty()) {
    DecodedRune d = DecodeRune(s);
    if (!IsSpace(d.rune)) break;
    s.remove_prefix(d.width);
  }
  return s;
}

std::string_view TrimRightSpace(std::string_view s) {
  while (!s.empty()) {
    DecodedRune d = DecodeLastRune(s);
    if (!IsSpace(d.rune)) break;
    s.remove_suffix(d.width);
  }
  return s;
}

std::string_view TrimSpace(std::string_view s) { return TrimRightSpace(TrimLeftSpace(s)); }

namespace {

// Go's strings.Map over a simple case mapping table (strings.ToLower / ToUpper).
std::string MapCase(std::string_view s, const unicode_tables::RuneMapping* table, size_t size) {
  std::string out;
  out.reserve(s.size());
  const auto* end = table + size;
  while (!s.empty()) {
    DecodedRune d = DecodeRune(s);
    const auto* it = std::lower_bound(
        table, end, d.rune,
        [](const unicode_tables::RuneMapping& m, char32_t r) { return m.from < r; });
    AppendRune(out, it != end && it->from == d.rune ? it->to : d.rune);
    s.remove_prefix(d.width);
  }
  return out;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

}  // namespace

std::string GoToLower(std::string_view s) {
  if (IsAscii(s)) return AsciiLower(s);
  return MapCase(s, unicode_tables::kLower, unicode_tables::kLowerSize);
}

std::string GoToUpper(std::string_view s) {
  if (IsAscii(s)) return AsciiUpper(s);
  return MapCase(s, unicode_tables::kUpper, unicode_tables::kUpperSize);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool AsciiEqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace kiln::parser
