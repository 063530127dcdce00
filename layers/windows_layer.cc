#include "layers/windows_layer.h"

#include <optional>
#include <vector>

#include "layers/case_fold.h"

namespace kiln::layers::windows {
namespace {

std::string MakeSd(uint8_t rid) {
  // control 0x8000 (SE_SELF_RELATIVE), owner at 20, group at 36, no SACL, no DACL;
  // SID S-1-5-32-<rid>: revision 1, 2 sub-authorities, authority 5, 32, rid.
  std::string sd = {1, 0, 0, '\x80', 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::string sid = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, static_cast<char>(rid), 2, 0, 0};
  return sd + sid + sid;
}

uint32_t Le32(std::string_view s, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[off + i]);
  return v;
}

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 when invalid.
size_t Decode(std::string_view s, size_t i, char32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(k) & 0x3f);
  }
  return len;
}

void Encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | cp >> 12);
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | cp >> 18);
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::unexpected<core::Error> BadName(std::string_view name, std::string_view why) {
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "invalid Windows layer name \"" + std::string(name) + "\": " + std::string(why));
}

}  // namespace

namespace {

// Self-relative SECURITY_DESCRIPTOR builder: owner, group and a DACL of access-allowed ACEs.
struct Ace {
  uint8_t flags;  // OI 0x01, CI 0x02, IO 0x08
  uint32_t mask;
  std::string sid;
};

void AppendLe(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>(v >> (8 * i) & 0xff);
}

std::string Sid(uint8_t authority, std::vector<uint32_t> sub) {
  std::string out = {1, static_cast<char>(sub.size()), 0, 0, 0, 0, 0, static_cast<char>(authority)};
  for (uint32_t v : sub) AppendLe(out, v, 4);
  return out;
}

std::string DescriptorWithDacl(const std::string& owner, const std::string& group,
                               const std::vector<Ace>& aces) {
  std::string acl_body;
  for (const Ace& a : aces) {
    acl_body += '\0';  // ACCESS_ALLOWED_ACE_TYPE
    acl_body += static_cast<char>(a.flags);
    AppendLe(acl_body, static_cast<uint32_t>(8 + a.sid.size()), 2);
    AppendLe(acl_body, a.mask, 4);
    acl_body += a.sid;
  }
  std::string sd;
  sd += '\x01';
  sd += '\0';
  AppendLe(sd, 0x8004, 2);  // SE_SELF_RELATIVE | SE_DACL_PRESENT
  uint32_t owner_at = 20, group_at = owner_at + owner.size(), dacl_at = group_at + group.size();
  AppendLe(sd, owner_at, 4);
  AppendLe(sd, group_at, 4);
  AppendLe(sd, 0, 4);  // no SACL
  AppendLe(sd, dacl_at, 4);
  sd += owner + group;
  sd += '\x02';  // ACL_REVISION
  sd += '\0';
  AppendLe(sd, static_cast<uint32_t>(8 + acl_body.size()), 2);
  AppendLe(sd, static_cast<uint32_t>(aces.size()), 2);
  AppendLe(sd, 0, 2);
  return sd + acl_body;
}

const std::string kBA = Sid(5, {32, 544}), kBU = Sid(5, {32, 545}), kSY = Sid(5, {18}),
                  kCO = Sid(3, {0});
constexpr uint32_t kFullAccess = 0x1f01ff, kReadExecute = 0x1200a9, kGenericAll = 0x10000000;

}  // namespace

core::Result<Acl> ParseAcl(std::string_view name) {
  if (name == "users") return Acl::kUsers;
  if (name == "builtin") return Acl::kBuiltin;
  return core::Fail(core::ErrorCode::kInvalidInput,
                    "unknown Windows ACL \"" + std::string(name) + "\" (want users or builtin)");
}

const std::string& BuiltinFileDescriptor() {
  static const std::string sd = DescriptorWithDacl(
      kBA, kSY, {{0, kFullAccess, kBA}, {0, kFullAccess, kSY}, {0, kReadExecute, kBU}});
  return sd;
}

const std::string& BuiltinDirectoryDescriptor() {
  static const std::string sd = DescriptorWithDacl(kBA, kSY,
                                                   {{0x03, kFullAccess, kBA},
                                                    {0x03, kFullAccess, kSY},
                                                    {0, kFullAccess, kBA},
                                                    {0x0b, kGenericAll, kCO},
                                                    {0x03, kReadExecute, kBU},
                                                    {0x02, 0x4, kBU},
                                                    {0x02, 0x2, kBU}});
  return sd;
}

bool WrittenWithoutDescriptor(std::string_view name) {
  return name == kFiles || name == kHives || name.starts_with("Hives/");
}

const std::string& SecurityDescriptor(Owner owner) {
  static const std::string users = MakeSd(0x21), admins = MakeSd(0x20);
  return owner == Owner::kUsers ? users : admins;
}

std::optional<Owner> OwnerOf(std::string_view sd) {
  if (sd == SecurityDescriptor(Owner::kUsers)) return Owner::kUsers;
  if (sd == SecurityDescriptor(Owner::kAdministrators)) return Owner::kAdministrators;
  return std::nullopt;
}

bool IsSelfRelativeSecurityDescriptor(std::string_view sd) {
  if (sd.size() < 20 || sd[0] != 1) return false;
  uint16_t control = static_cast<uint16_t>(static_cast<unsigned char>(sd[2]) |
                                           static_cast<unsigned char>(sd[3]) << 8);
  if (!(control & 0x8000)) return false;
  for (size_t off : {4, 8, 12, 16}) {
    uint32_t at = Le32(sd, off);
    if (at != 0 && (at < 20 || at >= sd.size())) return false;
  }
  return true;
}

std::string FoldCase(std::string_view name) {
  // ASCII (nearly every name) in place; from the first non-ASCII byte on, code point by code
  // point. One call per path in a layer's rules, tree and SBOM: 30,000 files, several each.
  std::string out(name);
  size_t i = 0;
  for (; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c >= 0x80) break;
    if (c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 32);
  }
  if (i == out.size()) return out;
  out.resize(i);
  while (i < name.size()) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      ++i;
      continue;
    }
    char32_t cp;
    size_t len = Decode(name, i, cp);
    if (len == 0) {
      out += name[i++];
      continue;
    }
    Encode(UpperCaseCodePoint(cp), out);
    i += len;
  }
  return out;
}

core::Status ValidateName(std::string_view name, bool allow_stream) {
  if (name.empty()) return BadName(name, "empty name");
  if (name.front() == '/') return BadName(name, "absolute name");
  if (name.back() == '/') return BadName(name, "trailing '/'");
  size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    if (!allow_stream) return BadName(name, "':' is only allowed in alternate data streams");
    if (name.find('/', colon) != std::string_view::npos || name.find(':', colon + 1) != name.npos ||
        colon + 1 == name.size() || colon == 0 || name[colon - 1] == '/')
      return BadName(name, "stray ':' (an alternate data stream is \"<file>:<stream>\")");
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
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20) return BadName(name, "control character");
    if (c == '\\') return BadName(name, "backslash (use '/')");
    if (c == '<' || c == '>' || c == '"' || c == '|' || c == '?' || c == '*')
      return BadName(name, std::string("character '") + c + "' is not allowed on NTFS");
  }
  return {};
}

core::Result<std::string> LayerNameFromContainerPath(std::string_view path) {
  std::string p(path);
  for (char& c : p)
    if (c == '\\') c = '/';
  if (p.size() >= 2 && p[1] == ':') {
    if (p[0] != 'c' && p[0] != 'C')
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "path \"" + std::string(path) + "\" is not on the C: drive");
    p = p.substr(2);
    if (p.empty()) p = "/";
  }
  if (p.starts_with("//"))
    return core::Fail(core::ErrorCode::kInvalidInput, "UNC path \"" + std::string(path) +
                                                          "\" cannot be a container path");
  if (p.empty() || p.front() != '/')
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "path \"" + std::string(path) + "\" is relative: resolve it against WORKDIR");
  std::vector<std::string> parts;
  size_t start = 1;
  while (start < p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string part = p.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (parts.empty()) {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "path \"" + std::string(path) + "\" escapes C:\\ through '..'");
    } else {
      parts.pop_back();
    }
  }
  std::string out(kFiles);
  for (const auto& part : parts) out += "/" + part;
  KILN_TRY(ValidateName(out, /*allow_stream=*/false));
  return out;
}

std::string SymlinkTargetFromPosix(std::string_view target) {
  std::string out = target.starts_with('/') ? "C:" : "";
  for (char c : target) out += c == '/' ? '\\' : c;
  return out;
}

}  // namespace kiln::layers::windows
