#include "layers/windows/reparse_point.h"

#include <cstdio>

#include "layers/windows/utf16.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

void Put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, v & 0xFFFF);
  Put16(out, v >> 16);
}
uint32_t Get16(std::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | (static_cast<uint8_t>(b[at + 1]) << 8);
}
uint32_t Get32(std::string_view b, size_t at) { return Get16(b, at) | (Get16(b, at + 2) << 16); }

bool IsDriveLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

core::Result<std::string> EncodeReparsePoint(const ReparsePoint& point) {
  const std::string& t = point.target;
  std::string nt_target;
  bool relative = false;
  if (t.starts_with("\\\\?\\")) {
    nt_target = "\\??\\" + t.substr(4);
  } else if (t.starts_with("\\\\")) {
    nt_target = "\\??\\UNC\\" + t.substr(2);
  } else if (t.size() >= 2 && IsDriveLetter(t[0]) && t[1] == ':') {
    nt_target = "\\??\\" + t;
  } else {
    nt_target = t;
    relative = true;
  }
  auto print16 = Utf8ToUtf16(t);
  auto subst16 = Utf8ToUtf16(nt_target);
  if (!print16 || !subst16) return Fail(ErrorCode::kInvalidInput, "link target is not valid UTF-8");
  // Both names are NUL-terminated in the buffer although their lengths exclude the NUL.
  size_t subst_bytes = subst16->size() * 2, print_bytes = print16->size() * 2;
  size_t data_length = 8 + subst_bytes + 2 + print_bytes + 2 + (point.is_mount_point ? 0 : 4);
  if (data_length > 0xFFFF)
    return Fail(ErrorCode::kInvalidInput, "link target is too long for a reparse point");
  std::string out;
  Put32(out, point.is_mount_point ? kReparseTagMountPoint : kReparseTagSymlink);
  Put16(out, static_cast<uint32_t>(data_length));
  Put16(out, 0);                                            // Reserved
  Put16(out, 0);                                            // SubstituteNameOffset
  Put16(out, static_cast<uint32_t>(subst_bytes));           // SubstituteNameLength
  Put16(out, static_cast<uint32_t>(subst_bytes + 2));       // PrintNameOffset
  Put16(out, static_cast<uint32_t>(print_bytes));           // PrintNameLength
  if (!point.is_mount_point) Put32(out, relative ? 1 : 0);  // Flags: SYMLINK_FLAG_RELATIVE
  out += Utf16ToBytes(*subst16);
  Put16(out, 0);
  out += Utf16ToBytes(*print16);
  Put16(out, 0);
  return out;
}

core::Result<ReparsePoint> DecodeReparsePoint(std::string_view b) {
  if (b.size() < 16) return Fail(ErrorCode::kInvalidInput, "reparse point buffer is truncated");
  uint32_t tag = Get32(b, 0);
  ReparsePoint point;
  if (tag == kReparseTagMountPoint) {
    point.is_mount_point = true;
  } else if (tag != kReparseTagSymlink) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%x", tag);
    return Fail(ErrorCode::kUnsupported, std::string("unsupported reparse point ") + hex);
  }
  std::string_view data = b.substr(8);
  size_t name_offset = 8 + Get16(data, 4) + (point.is_mount_point ? 0 : 4);
  size_t name_length = Get16(data, 6);
  if (name_offset + name_length > data.size() || name_length % 2 != 0)
    return Fail(ErrorCode::kInvalidInput, "reparse point print name is out of bounds");
  auto target = Utf16ToUtf8(Utf16FromBytes(data.substr(name_offset, name_length)));
  if (!target) return Fail(ErrorCode::kInvalidInput, "reparse point target is not valid UTF-16");
  point.target = std::move(*target);
  return point;
}

}  // namespace kiln::layers::windows
