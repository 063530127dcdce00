#include "core/reference.h"

#include <algorithm>
#include <charconv>

namespace kiln::core {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*.
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!ok) return false;
    i = j;
  }
  return true;
}

// A DNS label of the host: [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9].
bool IsValidLabel(std::string_view l) {
  if (l.empty() || !IsAlnum(l.front()) || !IsAlnum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

bool IsValidPort(std::string_view p) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return !p.empty() && p.size() <= 5 && ec == std::errc() && end == p.data() + p.size() &&
         v <= 65535;
}

bool IsValidIpv6(std::string_view a) {
  if (a.size() < 2) return false;
  int colons = 0;
  for (char c : a) {
    if (c == ':') ++colons;
    else if (!IsHex(c) && !(c >= 'A' && c <= 'F') && c != '.') return false;
  }
  return colons >= 2;
}

// host[:port] or [ipv6][:port].
bool IsValidHost(std::string_view h) {
  std::string_view port;
  if (h.starts_with('[')) {
    size_t close = h.find(']');
    if (close == std::string_view::npos || !IsValidIpv6(h.substr(1, close - 1))) return false;
    std::string_view rest = h.substr(close + 1);
    if (rest.empty()) return true;
    return rest.front() == ':' && IsValidPort(rest.substr(1));
  }
  if (size_t colon = h.find(':'); colon != std::string_view::npos) {
    port = h.substr(colon + 1);
    h = h.substr(0, colon);
    if (!IsValidPort(port)) return false;
  }
  if (h.empty()) return false;
  for (size_t start = 0;;) {
    size_t dot = h.find('.', start);
    if (!IsValidLabel(h.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool LooksLikeHost(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         first.starts_with('[') ||
         std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::unexpected<Error> Bad(std::string_view text, std::string_view why) {
  return Fail(ErrorCode::kInvalidInput,
              "invalid reference \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return IsAlnum(c) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

Result<Reference> Reference::Parse(std::string_view text) { return ParseImpl(text, true); }
Result<Reference> Reference::ParseName(std::string_view text) { return ParseImpl(text, false); }

Result<Reference> Reference::ParseImpl(std::string_view text, bool default_tag) {
  if (text.empty()) return Fail(ErrorCode::kInvalidInput, "invalid reference: empty image name");
  Reference ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    auto d = Digest::Parse(rest.substr(at + 1));
    if (!d) return Bad(text, "bad digest after '@': " + d.error().message);
    ref.digest_ = *d;
    rest = rest.substr(0, at);
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!IsValidTag(tag))
      return Bad(text, "bad tag \"" + std::string(tag) +
                           "\" (letters, digits, '_', '.', '-'; at most 128; not starting with "
                           "'.' or '-')");
    ref.tag_ = std::string(tag);
    rest = rest.substr(0, colon);
  }
  std::string_view path = rest;
  size_t first = rest.find('/');
  if (first != std::string_view::npos && LooksLikeHost(rest.substr(0, first))) {
    std::string_view host = rest.substr(0, first);
    if (!IsValidHost(host)) return Bad(text, "bad registry host \"" + std::string(host) + "\"");
    ref.registry_ = std::string(host);
    path = rest.substr(first + 1);
  } else {
    ref.registry_ = std::string(kDockerHub);
  }
  if (ref.registry_ == "index.docker.io") ref.registry_ = kDockerHub;
  if (path.empty()) return Bad(text, "empty repository name");
  for (size_t start = 0;;) {
    size_t next = path.find('/', start);
    std::string_view comp = path.substr(start, next - start);
    if (!IsValidComponent(comp)) {
      bool upper = std::any_of(comp.begin(), comp.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      return Bad(text, upper ? "repository name must be lowercase"
                             : "bad repository name component \"" + std::string(comp) +
                                   "\" (lower-case letters and digits, separated by '.', '_', "
                                   "'__' or '-')");
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  if (path.size() == 64 && std::all_of(path.begin(), path.end(), IsHex) && first == std::string_view::npos)
    return Bad(text, "a 64-character hexadecimal string is an image id, not a repository name");
  ref.repository_ = std::string(path);
  if (ref.registry_ == kDockerHub && path.find('/') == std::string_view::npos)
    ref.repository_ = "library/" + ref.repository_;
  if (ref.Name().size() > 255) return Bad(text, "repository name longer than 255 characters");
  if (default_tag && ref.tag_.empty() && ref.digest_.empty()) ref.tag_ = "latest";
  return ref;
}

std::string Reference::Name() const { return registry_ + "/" + repository_; }

std::string Reference::ToString() const {
  std::string out = Name();
  if (!tag_.empty()) out += ":" + tag_;
  if (!digest_.empty()) out += "@" + digest_.ToString();
  return out;
}

std::string Reference::Familiar() const {
  std::string out;
  if (registry_ == kDockerHub) {
    std::string_view repo = repository_;
    if (repo.starts_with("library/") && repo.find('/', 8) == std::string_view::npos)
      repo.remove_prefix(8);
    out = std::string(repo);
  } else {
    out = Name();
  }
  if (!tag_.empty()) out += ":" + tag_;
  if (!digest_.empty()) out += "@" + digest_.ToString();
  return out;
}

std::string Reference::Identifier() const {
  if (!digest_.empty()) return digest_.ToString();
  return tag_.empty() ? "latest" : tag_;
}

Reference Reference::WithTag(std::string_view tag) const {
  Reference r = *this;
  r.tag_ = std::string(tag);
  return r;
}

Reference Reference::WithDigest(const Digest& digest) const {
  Reference r = *this;
  r.digest_ = digest;
  return r;
}

Reference Reference::WithoutDigest() const { return WithDigest(Digest()); }

std::string Reference::ApiHost() const {
  return registry_ == kDockerHub ? "registry-1.docker.io" : registry_;
}

std::string HostWithoutPort(std::string_view hp) {
  if (hp.starts_with('[')) {
    size_t close = hp.find(']');
    return std::string(hp.substr(1, close == std::string_view::npos ? hp.size() : close - 1));
  }
  return std::string(hp.substr(0, hp.find(':')));
}

bool IsLoopbackHost(std::string_view host_port) {
  std::string h = HostWithoutPort(host_port);
  std::transform(h.begin(), h.end(), h.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  if (!h.starts_with("127.")) return false;
  int parts = 1;
  for (char c : h) {
    if (c == '.') ++parts;
    else if (c < '0' || c > '9') return false;
  }
  return parts == 4;
}

}  // namespace kiln::core
