#include "layers/tar_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/base64.h"
#include "core/cancel.h"
#include "layers/pax.h"

namespace kiln::layers {
namespace {

constexpr size_t kBlock = 512;

std::unexpected<core::Error> Bad(std::string message) {
  return core::Fail(core::ErrorCode::kInvalidInput, std::move(message));
}

bool AllZero(const char* b) {
  return std::all_of(b, b + kBlock, [](char c) { return c == 0; });
}

std::string_view Field(const char* b, size_t off, size_t width) {
  std::string_view f(b + off, width);
  return f.substr(0, f.find('\0'));
}

// Octal (space/NUL padded) or GNU base-256 (high bit set; 0xff = negative).
core::Result<int64_t> ParseNumber(const char* b, size_t off, size_t width, const char* what) {
  auto p = reinterpret_cast<const unsigned char*>(b + off);
  if (p[0] & 0x80) {
    bool negative = p[0] == 0xff;
    uint64_t v = negative ? ~uint64_t{0} : 0;
    for (size_t i = 0; i < width; ++i) {
      unsigned char c = i == 0 ? (negative ? p[0] : p[0] & 0x7f) : p[i];
      if (i > 0 && (v >> 56) != (negative ? 0xff : 0)) return Bad(std::string(what) + " overflows");
      v = v << 8 | c;
    }
    return static_cast<int64_t>(v);
  }
  size_t i = 0;
  while (i < width && (p[i] == ' ' || p[i] == '\0')) ++i;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < width && p[i] >= '0' && p[i] <= '7'; ++i, ++digits) {
    if (v >> 60) return Bad(std::string(what) + " overflows");
    v = v * 8 + (p[i] - '0');
  }
  for (; i < width; ++i)
    if (p[i] != ' ' && p[i] != '\0') return Bad(std::string("malformed ") + what + " field");
  return static_cast<int64_t>(v);
}

template <typename T>
core::Result<T> ParseDecimal(std::string_view s, const char* key) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return Bad(std::string("invalid PAX ") + key + " \"" + std::string(s) + "\"");
  return v;
}

EntryType TypeFromFlag(char flag, std::string_view name) {
  switch (flag) {
    case '1': return EntryType::kHardLink;
    case '2': return EntryType::kSymlink;
    case '3': return EntryType::kCharDevice;
    case '4': return EntryType::kBlockDevice;
    case '5': return EntryType::kDirectory;
    case '6': return EntryType::kFifo;
    default:  // '0', '\0', '7' (contiguous)
      return !name.empty() && name.back() == '/' ? EntryType::kDirectory : EntryType::kFile;
  }
}

}  // namespace

std::string NormalizeTarName(std::string_view s) {
  while (s.starts_with("./")) {
    s.remove_prefix(2);
    while (s.starts_with('/')) s.remove_prefix(1);
  }
  while (s.size() > 1 && s.ends_with('/')) s.remove_suffix(1);
  if (s == "." || s == "/") return s == "/" ? "/" : "";
  return std::string(s);
}

// Buffered input with exact reads and a running offset.
class TarReader::Input {
 public:
  explicit Input(core::Reader& in) : in_(in), buf_(new char[kBuffer]) {}
  uint64_t offset() const { return offset_; }

  // Up to `size` bytes; fewer only at the end of the stream.
  core::Result<size_t> Read(char* dst, size_t size) {
    size_t done = 0;
    while (done < size) {
      if (pos_ == len_) {
        if (eof_) break;
        if (size - done >= kBuffer) {  // large read: bypass the buffer
          KILN_ASSIGN(size_t n, in_.Read(dst + done, size - done));
          if (n == 0) eof_ = true;
          done += n;
          offset_ += n;
          continue;
        }
        KILN_ASSIGN(len_, in_.Read(buf_.get(), kBuffer));
        pos_ = 0;
        if (len_ == 0) eof_ = true;
        continue;
      }
      size_t n = std::min(size - done, len_ - pos_);
      std::memcpy(dst + done, buf_.get() + pos_, n);
      pos_ += n;
      done += n;
      offset_ += n;
    }
    return done;
  }

  core::Result<uint64_t> Skip(uint64_t size) {
    uint64_t done = 0;
    char scratch[16 * 1024];
    while (done < size) {
      KILN_ASSIGN(size_t n, Read(scratch, std::min<uint64_t>(sizeof scratch, size - done)));
      if (n == 0) break;
      done += n;
    }
    return done;
  }

 private:
  core::Reader& in_;
  static constexpr size_t kBuffer = 256 * 1024;
  std::unique_ptr<char[]> buf_;  // not zero-filled: only bytes read are used
  size_t pos_ = 0, len_ = 0;
  uint64_t offset_ = 0;
  bool eof_ = false;
};

class TarReader::Content : public core::Reader {
 public:
  explicit Content(TarReader& r) : r_(r) {}
  void Reset(uint64_t size) {
    remaining_ = size;
    pad_ = (kBlock - size % kBlock) % kBlock;
  }
  core::Result<size_t> Read(void* buffer, size_t size) override {
    size_t want = std::min<uint64_t>(size, remaining_);
    if (want == 0) return 0;
    KILN_ASSIGN(size_t n, r_.in_->Read(static_cast<char*>(buffer), want));
    remaining_ -= n;
    if (n < want) return Truncated();
    return n;
  }
  core::Status SkipRest() {
    uint64_t total = remaining_ + pad_;
    KILN_ASSIGN(uint64_t n, r_.in_->Skip(total));
    if (n < total) {
      remaining_ = total - n;
      return Truncated();
    }
    remaining_ = pad_ = 0;
    return {};
  }

 private:
  std::unexpected<core::Error> Truncated() {
    return Bad("truncated tar archive: entry " + std::to_string(r_.index_) + " \"" +
               r_.entry_.name + "\" needs " + std::to_string(remaining_) + " more bytes");
  }
  TarReader& r_;
  uint64_t remaining_ = 0, pad_ = 0;
};

TarReader::TarReader(core::Reader& in, TarReaderOptions options)
    : in_(std::make_unique<Input>(in)),
      content_(std::make_unique<Content>(*this)),
      options_(options) {}

TarReader::~TarReader() = default;

uint64_t TarReader::offset() const { return in_->offset(); }
core::Reader& TarReader::content() { return *content_; }

std::string TarReader::Where() const {
  return "tar entry " + std::to_string(index_ + 1) + " at byte " + std::to_string(header_offset_);
}

core::Status TarReader::ReadBody(uint64_t size, std::string& out, const char* what) {
  if (size > options_.max_header_size)
    return Bad(Where() + ": " + what + " of " + std::to_string(size) + " bytes exceeds the " +
               std::to_string(options_.max_header_size) + "-byte limit");
  uint64_t padded = (size + kBlock - 1) / kBlock * kBlock;
  out.resize(padded);
  KILN_ASSIGN(size_t n, in_->Read(out.data(), padded));
  if (n < padded) return Bad("truncated tar archive: " + Where() + ": " + what + " cut short");
  out.resize(size);
  return {};
}

core::Result<const TarEntry*> TarReader::Next() {
  if (done_) return nullptr;
  KILN_TRY(content_->SkipRest());
  std::vector<std::pair<std::string, std::string>> pax;
  std::string long_name, long_link;
  bool have_long_name = false, have_long_link = false;
  char block[kBlock];
  for (;;) {
    KILN_TRY(core::CheckCancelled());
    header_offset_ = in_->offset();
    KILN_ASSIGN(size_t n, in_->Read(block, kBlock));
    if (n == 0 && pax.empty() && !have_long_name && !have_long_link) {
      done_ = true;  // end without the zero blocks: accepted, as GNU tar and Go do
      return nullptr;
    }
    if (n < kBlock) return Bad("truncated tar archive: " + Where() + ": header cut short");
    if (AllZero(block)) {
      done_ = true;
      return nullptr;
    }
    auto stored_sum = ParseNumber(block, 148, 8, "checksum");
    if (!stored_sum) return Bad(Where() + ": " + stored_sum.error().message + " (not a tar archive?)");
    unsigned usum = 0;
    int ssum = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      char c = (i >= 148 && i < 156) ? ' ' : block[i];
      usum += static_cast<unsigned char>(c);
      ssum += static_cast<signed char>(c);
    }
    if (*stored_sum != usum && *stored_sum != ssum)
      return Bad(Where() + ": header checksum mismatch (not a tar archive, or corrupt)");
    char flag = block[156];
    auto size = ParseNumber(block, 124, 12, "size");
    if (!size || *size < 0) return Bad(Where() + ": malformed size field");
    std::string body;
    if (flag == 'x' || flag == 'g') {
      KILN_TRY(ReadBody(*size, body, "PAX header"));
      auto records = pax::ParseRecords(body);
      if (!records) return Bad(Where() + ": " + records.error().message);
      auto& dst = flag == 'x' ? pax : global_pax_;
      dst.insert(dst.end(), records->begin(), records->end());
      continue;
    }
    if (flag == 'L' || flag == 'K') {
      KILN_TRY(ReadBody(*size, body, "GNU long name"));
      body = body.substr(0, body.find('\0'));
      (flag == 'L' ? long_name : long_link) = body;
      (flag == 'L' ? have_long_name : have_long_link) = true;
      continue;
    }
    if (flag == 'S') return Bad(Where() + ": GNU sparse files are not supported");
    if (flag == 'V' || flag == 'M' || flag == 'N' || flag == 'D')
      return Bad(Where() + ": unsupported GNU entry type '" + std::string(1, flag) + "'");
    if (!(flag == '\0' || (flag >= '0' && flag <= '7')))
      return Bad(Where() + ": unsupported entry type '" + std::string(1, flag) + "'");
    KILN_TRY(BuildEntry(block));
    if (have_long_name) entry_.stored_name = long_name;
    if (have_long_link) entry_.linkname = long_link;
    KILN_TRY(ApplyPax(global_pax_, /*global=*/true));
    KILN_TRY(ApplyPax(pax, /*global=*/false));
    return Finalize(block[156]);
  }
}

// The plain header fields; PAX records and GNU long names override them afterwards.
core::Status TarReader::BuildEntry(const char* block) {
  entry_ = TarEntry{};
  std::string name(Field(block, 0, 100));
  bool posix = std::memcmp(block + 257, "ustar\0", 6) == 0;
  if (std::string_view prefix = Field(block, 345, 155); posix && !prefix.empty())
    name = std::string(prefix) + "/" + name;
  entry_.stored_name = std::move(name);
  entry_.linkname = std::string(Field(block, 157, 100));
  struct {
    size_t off, width;
    const char* what;
    int64_t value = 0;
  } nums[] = {{100, 8, "mode"}, {108, 8, "uid"},      {116, 8, "gid"},     {124, 12, "size"},
              {136, 12, "mtime"}, {329, 8, "devmajor"}, {337, 8, "devminor"}};
  char flag = block[156];
  bool device = flag == '3' || flag == '4';
  for (auto& n : nums) {
    if (!device && n.off >= 329) continue;  // GNU/Go leave these blank on other types
    auto v = ParseNumber(block, n.off, n.width, n.what);
    if (!v) return Bad(Where() + ": " + v.error().message);
    n.value = *v;
  }
  if (nums[3].value < 0) return Bad(Where() + ": negative size");
  entry_.mode = static_cast<uint32_t>(nums[0].value) & 07777;
  entry_.uid = static_cast<uint32_t>(nums[1].value);
  entry_.gid = static_cast<uint32_t>(nums[2].value);
  entry_.size = static_cast<uint64_t>(nums[3].value);
  entry_.mtime = {nums[4].value, 0};
  entry_.devmajor = static_cast<uint32_t>(nums[5].value);
  entry_.devminor = static_cast<uint32_t>(nums[6].value);
  entry_.uname = std::string(Field(block, 265, 32));
  entry_.gname = std::string(Field(block, 297, 32));
  return {};
}

core::Status TarReader::ApplyPax(const std::vector<std::pair<std::string, std::string>>& records,
                                 bool global) {
  for (const auto& [key, value] : records) {
    auto r = ApplyRecord(key, value, global);
    if (!r) return Bad(Where() + ": " + r.error().message);
  }
  return {};
}

core::Status TarReader::ApplyRecord(const std::string& key, const std::string& value,
                                    bool global) {
  TarEntry& e = entry_;
  auto time = [&](TarTime& dst) -> core::Status {
    KILN_ASSIGN(dst, pax::ParseTime(value));
    return {};
  };
  auto opt_time = [&](std::optional<TarTime>& dst) -> core::Status {
    KILN_ASSIGN(dst, pax::ParseTime(value));
    return {};
  };
  if (key == pax::kPath || key == pax::kLinkpath) {
    if (!global) (key == pax::kPath ? e.stored_name : e.linkname) = value;
  } else if (key == pax::kSize) {
    KILN_ASSIGN(e.size, ParseDecimal<uint64_t>(value, "size"));
  } else if (key == pax::kUid) {
    KILN_ASSIGN(e.uid, ParseDecimal<uint32_t>(value, "uid"));
  } else if (key == pax::kGid) {
    KILN_ASSIGN(e.gid, ParseDecimal<uint32_t>(value, "gid"));
  } else if (key == pax::kUname) {
    e.uname = value;
  } else if (key == pax::kGname) {
    e.gname = value;
  } else if (key == pax::kMtime) {
    return time(e.mtime);
  } else if (key == pax::kAtime) {
    return opt_time(e.atime);
  } else if (key == pax::kCtime) {
    return opt_time(e.ctime);
  } else if (key == pax::kCreationTime) {
    return opt_time(e.creation_time);
  } else if (key == pax::kDevMajor) {
    KILN_ASSIGN(e.devmajor, ParseDecimal<uint32_t>(value, "devmajor"));
  } else if (key == pax::kDevMinor) {
    KILN_ASSIGN(e.devminor, ParseDecimal<uint32_t>(value, "devminor"));
  } else if (key.starts_with(pax::kXattrPrefix)) {
    e.xattrs[key.substr(pax::kXattrPrefix.size())] = value;
  } else if (key == pax::kWinFileAttr) {
    KILN_ASSIGN(e.win_attributes, ParseDecimal<uint32_t>(value, "MSWINDOWS.fileattr"));
  } else if (key == pax::kWinRawSd) {
    auto sd = core::Base64Decode(value);
    if (!sd) return Bad("MSWINDOWS.rawsd: " + sd.error().message);
    e.win_security_descriptor = std::move(*sd);
  } else if (key == pax::kWinMountPoint) {
    e.win_mountpoint = true;
  } else if (key.starts_with(pax::kWinEaPrefix)) {
    auto ea = core::Base64Decode(value);
    if (!ea) return Bad(key + ": " + ea.error().message);
    e.win_eas[key.substr(pax::kWinEaPrefix.size())] = std::move(*ea);
  } else if (key.starts_with(pax::kGnuSparsePrefix)) {
    return core::Fail(core::ErrorCode::kUnsupported, "GNU sparse files are not supported");
  } else {
    e.pax_extra[key] = value;  // vendor records (MSWINDOWS.sd, LIBARCHIVE.*, hdrcharset...)
  }
  return {};
}

core::Result<const TarEntry*> TarReader::Finalize(char flag) {
  const std::string& stored = entry_.stored_name;
  if (stored.find('\0') != std::string::npos || entry_.linkname.find('\0') != std::string::npos)
    return Bad(Where() + ": name holds a NUL byte");
  entry_.type = TypeFromFlag(flag, stored);
  entry_.name = NormalizeTarName(stored);
  if (entry_.type != EntryType::kFile) entry_.size = 0;  // header-only types carry no data
  ++index_;
  content_->Reset(entry_.size);
  return &entry_;
}

}  // namespace kiln::layers
