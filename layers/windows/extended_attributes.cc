#include "layers/windows/extended_attributes.h"

#include <cstdint>

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr size_t kEntryHeader = 8;  // NextEntryOffset u32, Flags u8, NameLength u8, ValueLength u16

}  // namespace

core::Result<std::string> EncodeExtendedAttributes(const std::map<std::string, std::string>& eas) {
  std::string out;
  size_t i = 0;
  for (const auto& [name, value] : eas) {
    if (name.size() > 0xFF)
      return Fail(ErrorCode::kInvalidInput, "extended attribute name too large: " + name);
    if (value.size() > 0xFFFF)
      return Fail(ErrorCode::kInvalidInput, "extended attribute value too large: " + name);
    size_t entry = kEntryHeader + name.size() + 1 + value.size();
    size_t padded = (entry + 3) & ~size_t{3};
    uint32_t next = ++i == eas.size() ? 0 : static_cast<uint32_t>(padded);
    for (int k = 0; k < 4; ++k) out += static_cast<char>((next >> (8 * k)) & 0xFF);
    out += '\0';  // Flags
    out += static_cast<char>(name.size());
    out += static_cast<char>(value.size() & 0xFF);
    out += static_cast<char>(value.size() >> 8);
    out += name;
    out += '\0';
    out += value;
    out.append(padded - entry, '\0');  // go-winio pads the last entry too
  }
  return out;
}

core::Result<std::map<std::string, std::string>> DecodeExtendedAttributes(std::string_view b) {
  std::map<std::string, std::string> out;
  while (!b.empty()) {
    if (b.size() < kEntryHeader)
      return Fail(ErrorCode::kInvalidInput, "invalid extended attribute buffer");
    auto u8 = [&](size_t at) { return static_cast<uint8_t>(b[at]); };
    uint32_t next = u8(0) | (u8(1) << 8) | (u8(2) << 16) | (uint32_t{u8(3)} << 24);
    size_t name_len = u8(5);
    size_t value_len = u8(6) | (u8(7) << 8);
    size_t value_at = kEntryHeader + name_len + 1;
    if (value_at + value_len > b.size() || next > b.size())
      return Fail(ErrorCode::kInvalidInput, "invalid extended attribute buffer");
    out[std::string(b.substr(kEntryHeader, name_len))] = std::string(b.substr(value_at, value_len));
    if (next == 0) break;
    b.remove_prefix(next);
  }
  return out;
}

}  // namespace kiln::layers::windows
