#include "layers/windows/layer_entry.h"

#include "layers/windows/extended_attributes.h"
#include "layers/windows/reparse_point.h"
#include "layers/windows/utf16.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

core::Status BadName(std::string_view name, std::string_view why) {
  return Fail(ErrorCode::kInvalidInput,
              "layer entry \"" + std::string(name) + "\": " + std::string(why));
}

}  // namespace

bool IsUnder(std::string_view name, std::string_view dir) {
  return name.size() > dir.size() && name.starts_with(dir) && name[dir.size()] == '/';
}

bool IsAtOrUnder(std::string_view name, std::string_view dir) {
  return name == dir || IsUnder(name, dir);
}

core::Status CheckEntryName(std::string_view name) {
  if (name.empty()) return BadName(name, "empty name");
  if (name.front() == '/') return BadName(name, "absolute name");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return BadName(name, "control character in name");
    if (std::string_view("\\:<>\"|?*").find(static_cast<char>(c)) != std::string_view::npos)
      return BadName(name, std::string("'") + static_cast<char>(c) + "' in name");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty()) return BadName(name, "empty path component");
    if (part == "." || part == "..") return BadName(name, "'.' or '..' component");
    start = end + 1;
  }
  if (!Utf8ToUtf16(name)) return BadName(name, "not valid UTF-8");
  return {};
}

std::string FoldCaseAscii(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::optional<std::string> WhiteoutTarget(std::string_view name) {
  size_t slash = name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  if (!base.starts_with(kWhiteoutPrefix)) return std::nullopt;
  std::string out(slash == std::string_view::npos ? std::string_view() : name.substr(0, slash + 1));
  out += base.substr(kWhiteoutPrefix.size());
  return out;
}

core::Result<std::optional<std::string>> AlternateStreamOf(std::string_view name,
                                                           std::string_view file) {
  if (file.empty() || name.size() <= file.size() || !name.starts_with(file) ||
      name[file.size()] != ':')
    return std::optional<std::string>();
  std::string_view stream = name.substr(file.size() + 1);
  if (stream.empty() || stream.find_first_of("/\\:") != std::string_view::npos ||
      stream.find('\0') != std::string_view::npos)
    return Fail(BadName(name, "invalid alternate data stream name").error());
  return std::optional<std::string>(std::string(stream));
}

std::filesystem::path PathFromUtf8(std::string_view text) {
  return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

std::string PathToUtf8(const std::filesystem::path& path) {
  std::u8string u8 = path.u8string();
  return std::string(u8.begin(), u8.end());
}

std::filesystem::path EntryPath(const std::filesystem::path& root, std::string_view name) {
  std::filesystem::path out = root;
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    out /= PathFromUtf8(name.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

core::Status WriteEntryStreams(const TarEntry& entry, core::Reader* content,
                               BackupStreamWriter& out) {
  if (!entry.win_security_descriptor.empty())
    KILN_TRY(out.WriteStream(BackupStreamId::kSecurityData, entry.win_security_descriptor));
  if (!entry.win_eas.empty()) {
    KILN_ASSIGN(std::string eas, EncodeExtendedAttributes(entry.win_eas));
    KILN_TRY(out.WriteStream(BackupStreamId::kEaData, eas));
  }
  if (entry.type == EntryType::kSymlink) {
    std::string target = entry.linkname;
    for (char& c : target)
      if (c == '/') c = '\\';
    auto reparse = EncodeReparsePoint({target, entry.win_mountpoint});
    if (!reparse) return Fail(reparse.error().Wrap(entry.name));
    KILN_TRY(out.WriteStream(BackupStreamId::kReparseData, *reparse));
  }
  if (entry.type == EntryType::kFile) {
    BackupStreamHeader data;
    data.id = BackupStreamId::kData;
    data.size = entry.size;
    KILN_TRY(out.WriteHeader(data));
    if (entry.size > 0) {
      if (!content) return Fail(ErrorCode::kInternal, entry.name + ": content missing");
      auto copied = out.CopyPayload(*content);
      if (!copied) return Fail(copied.error().Wrap(entry.name));
    }
  }
  return out.Finish();
}

core::Status WriteAlternateStream(std::string_view stream, uint64_t size, core::Reader* content,
                                  BackupStreamWriter& out) {
  auto name = Utf8ToUtf16(":" + std::string(stream) + ":$DATA");
  if (!name) return Fail(ErrorCode::kInvalidInput, "alternate stream name is not valid UTF-8");
  BackupStreamHeader header;
  header.id = BackupStreamId::kAlternateData;
  header.size = size;
  header.name = *name;
  KILN_TRY(out.WriteHeader(header));
  if (size > 0) {
    if (!content) return Fail(ErrorCode::kInternal, "alternate stream content missing");
    KILN_TRY(out.CopyPayload(*content));
  }
  return out.Finish();
}

core::Status Drain(core::Reader* content) {
  if (!content) return {};
  char buf[64 * 1024];
  for (;;) {
    KILN_ASSIGN(size_t n, content->Read(buf, sizeof buf));
    if (n == 0) return {};
  }
}

}  // namespace kiln::layers::windows
