#include "layers/tar_writer.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/base64.h"
#include "layers/pax.h"

namespace kiln::layers {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxOctal7 = 07777777;        // 8-byte fields
constexpr uint64_t kMaxOctal11 = 077777777777;   // 12-byte fields

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0 && c < 0x7f; });
}

void PutString(char* field, size_t width, std::string_view s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

void PutOctal(char* field, size_t width, uint64_t v) {
  // width-1 zero-padded digits and a NUL, as GNU tar and Go write them.
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; v >>= 3) field[i] = static_cast<char>('0' + (v & 7));
}

// Splits a long ASCII name into ustar prefix (<=155) and name (<=100) at a '/'.
bool SplitUstar(std::string_view name, std::string_view& prefix, std::string_view& base) {
  if (name.size() > 256) return false;
  for (size_t i = name.size() > 101 ? name.size() - 101 : 0; i < name.size() && i <= 155; ++i) {
    if (name[i] != '/' || i == 0 || name.size() - i - 1 == 0 || name.size() - i - 1 > 100)
      continue;
    prefix = name.substr(0, i);
    base = name.substr(i + 1);
    return true;
  }
  return false;
}

struct Fields {
  std::string_view name, prefix;
  bool name_in_pax = false;
};

Fields PlaceName(std::string_view stored) {
  Fields f;
  if (IsAscii(stored) && stored.size() <= 100) {
    f.name = stored;
  } else if (IsAscii(stored) && SplitUstar(stored, f.prefix, f.name)) {
  } else {
    f.name_in_pax = true;
    // A stand-in for readers that ignore PAX: the first bytes, cut at a UTF-8 boundary.
    size_t n = std::min<size_t>(100, stored.size());
    while (n > 0 && n < stored.size() && (static_cast<unsigned char>(stored[n]) & 0xC0) == 0x80) --n;
    f.name = stored.substr(0, n);
  }
  return f;
}

void AddTime(std::vector<std::pair<std::string, std::string>>& r, std::string_view key,
             TarTime t) {
  r.emplace_back(key, pax::FormatTime(t));
}

bool MtimeFitsUstar(TarTime t) {
  return t.nsec == 0 && t.sec >= 0 && static_cast<uint64_t>(t.sec) <= kMaxOctal11;
}

uint64_t DataSize(const TarEntry& e) { return e.type == EntryType::kFile ? e.size : 0; }

void BuildHeader(char* b, const TarEntry& e, const Fields& f, uint64_t size, char type) {
  std::memset(b, 0, kBlock);
  PutString(b, 100, f.name);
  PutOctal(b + 100, 8, e.mode & 07777);
  PutOctal(b + 108, 8, e.uid <= kMaxOctal7 ? e.uid : 0);
  PutOctal(b + 116, 8, e.gid <= kMaxOctal7 ? e.gid : 0);
  PutOctal(b + 124, 12, size <= kMaxOctal11 ? size : 0);
  bool mtime_fits = e.mtime.sec >= 0 && static_cast<uint64_t>(e.mtime.sec) <= kMaxOctal11;
  PutOctal(b + 136, 12, mtime_fits ? static_cast<uint64_t>(e.mtime.sec) : 0);
  b[156] = type;
  std::string_view link = e.linkname;
  if (IsAscii(link) && link.size() <= 100) PutString(b + 157, 100, link);
  std::memcpy(b + 257, "ustar\0" "00", 8);
  if (IsAscii(e.uname) && e.uname.size() <= 31) PutString(b + 265, 32, e.uname);
  if (IsAscii(e.gname) && e.gname.size() <= 31) PutString(b + 297, 32, e.gname);
  PutOctal(b + 329, 8, e.devmajor <= kMaxOctal7 ? e.devmajor : 0);
  PutOctal(b + 337, 8, e.devminor <= kMaxOctal7 ? e.devminor : 0);
  PutString(b + 345, 155, f.prefix);
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(b[i]);
  PutOctal(b + 148, 7, sum);  // six digits, NUL, then the space already there
  b[155] = ' ';
}

// Name of the 'x' header itself: not read by anyone, but fixed so output is reproducible.
std::string PaxHeaderName(std::string_view stored) {
  std::string n = "PaxHeaders/";
  for (char c : stored.substr(stored.size() > 89 ? stored.size() - 89 : 0))
    n += IsAscii(std::string_view(&c, 1)) ? c : '_';
  return n;
}

}  // namespace

std::string PaxRecordsFor(const TarEntry& e, std::string_view stored) {
  std::vector<std::pair<std::string, std::string>> r;
  if (PlaceName(stored).name_in_pax) r.emplace_back(pax::kPath, stored);
  if (!IsAscii(e.linkname) || e.linkname.size() > 100) r.emplace_back(pax::kLinkpath, e.linkname);
  if (!IsAscii(e.uname) || e.uname.size() > 31) r.emplace_back(pax::kUname, e.uname);
  if (!IsAscii(e.gname) || e.gname.size() > 31) r.emplace_back(pax::kGname, e.gname);
  if (e.uid > kMaxOctal7) r.emplace_back(pax::kUid, std::to_string(e.uid));
  if (e.gid > kMaxOctal7) r.emplace_back(pax::kGid, std::to_string(e.gid));
  if (DataSize(e) > kMaxOctal11) r.emplace_back(pax::kSize, std::to_string(e.size));
  if (e.devmajor > kMaxOctal7) r.emplace_back(pax::kDevMajor, std::to_string(e.devmajor));
  if (e.devminor > kMaxOctal7) r.emplace_back(pax::kDevMinor, std::to_string(e.devminor));
  if (!MtimeFitsUstar(e.mtime)) AddTime(r, pax::kMtime, e.mtime);
  if (e.atime) AddTime(r, pax::kAtime, *e.atime);
  if (e.ctime) AddTime(r, pax::kCtime, *e.ctime);
  if (e.creation_time) AddTime(r, pax::kCreationTime, *e.creation_time);
  for (const auto& [k, v] : e.xattrs) r.emplace_back(std::string(pax::kXattrPrefix) + k, v);
  if (e.win_attributes) r.emplace_back(pax::kWinFileAttr, std::to_string(*e.win_attributes));
  if (!e.win_security_descriptor.empty())
    r.emplace_back(pax::kWinRawSd, core::Base64Encode(e.win_security_descriptor));
  if (e.win_mountpoint) r.emplace_back(pax::kWinMountPoint, "1");
  for (const auto& [k, v] : e.win_eas)
    r.emplace_back(std::string(pax::kWinEaPrefix) + k, core::Base64Encode(v));
  for (const auto& [k, v] : e.pax_extra) r.emplace_back(k, v);
  if (r.empty()) return {};
  std::sort(r.begin(), r.end());
  std::string out;
  for (const auto& [k, v] : r) pax::AppendRecord(out, k, v);
  return out;
}

TarWriter::TarWriter(core::Writer& out, TarWriterOptions options)
    : out_(out), options_(options) {}

core::Status TarWriter::Emit(const void* data, size_t size) {
  KILN_TRY(out_.Write(data, size));
  offset_ += size;
  return {};
}

core::Status TarWriter::FinishData() {
  if (remaining_ != 0)
    return core::Fail(core::ErrorCode::kInternal,
                      "tar writer: " + std::to_string(remaining_) + " bytes of data missing");
  static const char kZeros[kBlock] = {};
  if (pad_) KILN_TRY(Emit(kZeros, pad_));
  pad_ = 0;
  return {};
}

core::Status TarWriter::WriteHeader(const TarEntry& e) {
  KILN_TRY(FinishData());
  if (e.name.empty() || e.name.find('\0') != std::string::npos ||
      e.linkname.find('\0') != std::string::npos)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "tar entry name \"" + e.name + "\" is empty or holds a NUL byte");
  std::string stored = e.name;
  if (e.is_dir() && options_.dir_trailing_slash) stored += '/';
  uint64_t size = DataSize(e);
  pax_ = PaxRecordsFor(e, stored);
  char block[kBlock];
  if (!pax_.empty()) {
    TarEntry x;
    x.mode = 0644;
    x.mtime = {e.mtime.sec < 0 ? 0 : e.mtime.sec, 0};
    std::string xname = PaxHeaderName(stored);
    BuildHeader(block, x, Fields{xname, {}}, pax_.size(), 'x');
    KILN_TRY(Emit(block, kBlock));
    KILN_TRY(Emit(pax_.data(), pax_.size()));
    static const char kZeros[kBlock] = {};
    if (size_t r = pax_.size() % kBlock) KILN_TRY(Emit(kZeros, kBlock - r));
  }
  BuildHeader(block, e, PlaceName(stored), size, static_cast<char>(e.type));
  KILN_TRY(Emit(block, kBlock));
  remaining_ = size;
  pad_ = (kBlock - size % kBlock) % kBlock;
  return {};
}

core::Status TarWriter::WriteData(const void* data, size_t size) {
  if (size > remaining_)
    return core::Fail(core::ErrorCode::kInternal, "tar writer: more data than the entry's size");
  KILN_TRY(Emit(data, size));
  remaining_ -= size;
  return {};
}

core::Status TarWriter::AccountData(size_t size) {
  if (size > remaining_)
    return core::Fail(core::ErrorCode::kInternal, "tar writer: more data than the entry's size");
  offset_ += size;
  remaining_ -= size;
  return {};
}

core::Status TarWriter::CopyData(core::Reader& content) {
  std::vector<char> buf(std::min<uint64_t>(remaining_, 256 * 1024));
  while (remaining_ > 0) {
    KILN_ASSIGN(size_t n, content.Read(buf.data(), std::min<uint64_t>(buf.size(), remaining_)));
    if (n == 0)
      return core::Fail(core::ErrorCode::kIo, "content ended " + std::to_string(remaining_) +
                                                  " bytes short of the entry's size");
    KILN_TRY(WriteData(buf.data(), n));
  }
  return {};
}

core::Status TarWriter::WriteEntry(const TarEntry& entry, core::Reader* content) {
  KILN_TRY(WriteHeader(entry));
  if (remaining_ == 0) return {};
  if (!content)
    return core::Fail(core::ErrorCode::kInternal, "tar writer: no content for " + entry.name);
  return CopyData(*content);
}

core::Status TarWriter::Finish() {
  KILN_TRY(FinishData());
  static const char kZeros[2 * kBlock] = {};
  return Emit(kZeros, sizeof kZeros);
}

}  // namespace kiln::layers
