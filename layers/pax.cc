#include "layers/pax.h"

#include <charconv>
#include <cstdint>

namespace kiln::layers::pax {
namespace {

std::unexpected<core::Error> Bad(std::string message) {
  return core::Fail(core::ErrorCode::kInvalidInput, std::move(message));
}

size_t Digits(size_t n) {
  size_t d = 1;
  while (n >= 10) n /= 10, ++d;
  return d;
}

}  // namespace

std::string FormatTime(TarTime t) {
  if (t.nsec == 0) return std::to_string(t.sec);
  int64_t sec = t.sec;
  int64_t nsec = t.nsec;
  std::string sign;
  if (sec < 0) {  // floor form {-2, 0.5e9} is -1.5 s
    sign = "-";
    sec = -(sec + 1);
    nsec = 1'000'000'000 - nsec;
  }
  char frac[10];
  for (int i = 8; i >= 0; --i, nsec /= 10) frac[i] = static_cast<char>('0' + nsec % 10);
  size_t len = 9;
  while (len > 0 && frac[len - 1] == '0') --len;
  return sign + std::to_string(sec) + "." + std::string(frac, len);
}

core::Result<TarTime> ParseTime(std::string_view text) {
  std::string_view secs = text, frac;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    secs = text.substr(0, dot);
    frac = text.substr(dot + 1);
  }
  bool negative = !secs.empty() && secs[0] == '-';
  std::string_view digits = secs;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  int64_t sec = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sec);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return Bad("invalid PAX time \"" + std::string(text) + "\"");
  int64_t nsec = 0;
  for (size_t i = 0; i < frac.size(); ++i) {
    if (frac[i] < '0' || frac[i] > '9') return Bad("invalid PAX time \"" + std::string(text) + "\"");
    if (i < 9) nsec = nsec * 10 + (frac[i] - '0');
  }
  for (size_t i = frac.size(); i < 9; ++i) nsec *= 10;
  if (negative) {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1'000'000'000 - nsec;
    }
  }
  return TarTime{sec, static_cast<uint32_t>(nsec)};
}

void AppendRecord(std::string& out, std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + Digits(body);
  if (Digits(len) != Digits(body)) len = body + Digits(len);
  out += std::to_string(len);
  out += ' ';
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

core::Result<std::vector<std::pair<std::string, std::string>>> ParseRecords(
    std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < body.size()) {
    // GNU tar and others pad the header body with NULs.
    if (body[pos] == '\0') break;
    std::string where = " at byte " + std::to_string(pos) + " of a PAX header";
    auto space = body.find(' ', pos);
    if (space == std::string_view::npos || space == pos || space - pos > 19)
      return Bad("bad PAX record length" + where);
    size_t len = 0;
    auto [end, ec] = std::from_chars(body.data() + pos, body.data() + space, len);
    if (ec != std::errc() || end != body.data() + space)
      return Bad("bad PAX record length" + where);
    if (len < space - pos + 4 || len > body.size() - pos)
      return Bad("PAX record length " + std::to_string(len) + " out of range" + where);
    std::string_view rec = body.substr(space + 1, len - (space + 1 - pos));
    if (rec.back() != '\n') return Bad("PAX record does not end in a newline" + where);
    rec.remove_suffix(1);
    auto eq = rec.find('=');
    if (eq == std::string_view::npos || eq == 0) return Bad("PAX record has no key" + where);
    out.emplace_back(std::string(rec.substr(0, eq)), std::string(rec.substr(eq + 1)));
    pos += len;
  }
  return out;
}

}  // namespace kiln::layers::pax
