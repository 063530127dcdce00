#include "parser/go_values.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "parser/quote.h"

namespace kiln::parser {
namespace {

core::Error Invalid(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

uint64_t UnitNanos(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;
  if (u == "ms") return 1000000;
  if (u == "s") return 1000000000;
  if (u == "m") return 60ull * 1000000000;
  if (u == "h") return 3600ull * 1000000000;
  return 0;
}

bool IsDigitByte(char c) { return c >= '0' && c <= '9'; }

// One "<number><unit>" element of a duration (time.ParseDuration's loop body).
core::Result<uint64_t> DurationElement(std::string_view& s, std::string_view orig) {
  auto invalid = [&] { return Invalid("time: invalid duration " + TimeQuote(orig)); };
  if (!(s[0] == '.' || IsDigitByte(s[0]))) return std::unexpected(invalid());
  uint64_t v = 0, f = 0;
  double scale = 1;
  size_t i = 0;
  for (; i < s.size() && IsDigitByte(s[i]); ++i) {
    if (v > kMaxDuration / 10) return std::unexpected(invalid());
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (v > kMaxDuration) return std::unexpected(invalid());
  }
  bool pre = i > 0, post = false;
  s.remove_prefix(i);
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    bool overflow = false;
    for (i = 0; i < s.size() && IsDigitByte(s[i]); ++i) {
      if (overflow) continue;
      if (f > (kMaxDuration - 1) / 10) {
        overflow = true;
        continue;
      }
      uint64_t y = f * 10 + static_cast<uint64_t>(s[i] - '0');
      if (y > kMaxDuration) {
        overflow = true;
        continue;
      }
      f = y;
      scale *= 10;
    }
    post = i > 0;
    s.remove_prefix(i);
  }
  if (!pre && !post) return std::unexpected(invalid());
  for (i = 0; i < s.size() && s[i] != '.' && !IsDigitByte(s[i]); ++i) {
  }
  if (i == 0) return std::unexpected(Invalid("time: missing unit in duration " + TimeQuote(orig)));
  std::string_view unit_text = s.substr(0, i);
  s.remove_prefix(i);
  uint64_t unit = UnitNanos(unit_text);
  if (unit == 0) {
    return std::unexpected(
        Invalid("time: unknown unit " + TimeQuote(unit_text) + " in duration " + TimeQuote(orig)));
  }
  if (v > kMaxDuration / unit) return std::unexpected(invalid());
  v *= unit;
  if (f > 0) {
    v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
    if (v > kMaxDuration) return std::unexpected(invalid());
  }
  return v;
}

core::Result<uint64_t> ParseGoUint(std::string_view s, int base, int bits, const char* fn) {
  auto err = [&](const char* what) {
    return Invalid(std::string("strconv.") + fn + ": parsing " + GoQuote(s) + ": " + what);
  };
  if (s.empty()) return std::unexpected(err("invalid syntax"));
  uint64_t max = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  uint64_t v = 0;
  bool range = false;
  for (char c : s) {
    int d = IsDigitByte(c) ? c - '0' : 99;
    if (d >= base) return std::unexpected(err("invalid syntax"));
    if (v > (max - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) range = true;
    if (!range) v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (range) return std::unexpected(err("value out of range"));
  return v;
}

}  // namespace

std::string TimeQuote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c < ' ') {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(ch);
    }
  }
  return out + "\"";
}

core::Result<int64_t> ParseGoDuration(std::string_view s) {
  std::string_view orig = s;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::unexpected(Invalid("time: invalid duration " + TimeQuote(orig)));
  uint64_t d = 0;
  while (!s.empty()) {
    KILN_ASSIGN(uint64_t v, DurationElement(s, orig));
    d += v;
    if (d > kMaxDuration)
      return std::unexpected(Invalid("time: invalid duration " + TimeQuote(orig)));
  }
  if (neg) return static_cast<int64_t>(0 - d);
  if (d > kMaxDuration - 1) {
    return std::unexpected(Invalid("time: invalid duration " + TimeQuote(orig)));
  }
  return static_cast<int64_t>(d);
}

core::Result<bool> ParseGoBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    return false;
  }
  return std::unexpected(Invalid("strconv.ParseBool: parsing " + GoQuote(s) + ": invalid syntax"));
}

core::Result<int64_t> ParseGoInt32(std::string_view s) {
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto u = ParseGoUint(digits, 10, 64, "ParseInt");
  auto err = [&](const char* what) {
    return Invalid(std::string("strconv.ParseInt: parsing ") + GoQuote(s) + ": " + what);
  };
  if (!u) {
    bool syntax = u.error().message.ends_with("invalid syntax");
    return std::unexpected(err(syntax ? "invalid syntax" : "value out of range"));
  }
  if ((!neg && *u > 0x7FFFFFFFull) || (neg && *u > 0x80000000ull)) {
    return std::unexpected(err("value out of range"));
  }
  return neg ? -static_cast<int64_t>(*u) : static_cast<int64_t>(*u);
}

core::Result<uint64_t> ParseGoUint32(std::string_view s, int base) {
  return ParseGoUint(s, base, 32, "ParseUint");
}

core::Result<int64_t> ParseRamInBytes(std::string_view s) {
  auto invalid = [&] { return Invalid("invalid size: '" + std::string(s) + "'"); };
  size_t sep = s.find_last_of("01234567890. ");
  if (sep == std::string_view::npos) return std::unexpected(invalid());
  std::string_view num = s[sep] == ' ' ? s.substr(0, sep) : s.substr(0, sep + 1);
  std::string sfx(s.substr(sep + 1));
  std::string_view n = num;
  if (!n.empty() && n[0] == '+') n.remove_prefix(1);
  double size = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), size);
  if (n.empty() || ec != std::errc() || end != n.data() + n.size() || std::isnan(size)) {
    return std::unexpected(
        Invalid("strconv.ParseFloat: parsing " + GoQuote(num) + ": invalid syntax"));
  }
  if (size < 0) return std::unexpected(invalid());
  auto bad_suffix = [&] { return Invalid("invalid suffix: '" + sfx + "'"); };
  if (sfx.empty()) return static_cast<int64_t>(size);
  if (sfx.size() > 3) return std::unexpected(bad_suffix());
  for (char& c : sfx) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (sfx[0] == 'b') {
    if (sfx.size() > 1) return std::unexpected(bad_suffix());
    return static_cast<int64_t>(size);
  }
  static const std::string_view kUnits = "kmgtp";
  size_t u = kUnits.find(sfx[0]);
  if (u == std::string_view::npos) return std::unexpected(bad_suffix());
  size *= std::pow(1024.0, static_cast<double>(u + 1));
  if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib")) {
    return std::unexpected(bad_suffix());
  }
  if (size >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(size);
}

}  // namespace kiln::parser
