#include "core/platform.h"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace kiln::core {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

std::optional<uint32_t> ParseU32(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Builds with a stable ABI for process isolation (containerd/platforms compat list).
constexpr uint32_t kStableAbiBuilds[] = {20348, 26100};

}  // namespace

std::optional<WindowsVersion> WindowsVersion::Parse(std::string_view text) {
  auto parts = Split(text, '.');
  if (parts.size() < 3 || parts.size() > 4) return std::nullopt;
  WindowsVersion v;
  uint32_t* fields[] = {&v.major, &v.minor, &v.build, &v.revision};
  for (size_t i = 0; i < parts.size(); ++i) {
    auto n = ParseU32(parts[i]);
    if (!n) return std::nullopt;
    *fields[i] = *n;
  }
  return v;
}

std::string WindowsVersion::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
         std::to_string(revision);
}

std::string WindowsBuildName(uint32_t build) {
  switch (build) {
    case 14393: return "Windows Server 2016 (ltsc2016, build 14393)";
    case 17763: return "Windows Server 2019 (ltsc2019/1809, build 17763)";
    case 20348: return "Windows Server 2022 (ltsc2022, build 20348)";
    case 22000: return "Windows 11 21H2 (build 22000)";
    case 22621: return "Windows 11 22H2 (build 22621)";
    case 22631: return "Windows 11 23H2 (build 22631)";
    case 25398: return "Windows Server 23H2 (build 25398)";
    case 26100: return "Windows Server 2025 / Windows 11 24H2 (ltsc2025, build 26100)";
    case 26200: return "Windows 11 25H2 (build 26200)";
    case 19041: return "Windows 10 2004 (build 19041)";
    case 19045: return "Windows 10 22H2 (build 19045)";
    default: return "build " + std::to_string(build);
  }
}

bool ProcessIsolationCompatible(const WindowsVersion& host, const WindowsVersion& image) {
  if (host.major != image.major || host.minor != image.minor) return false;
  if (host.build < kStableAbiBuilds[0]) return image.build == host.build;
  // floor = the stable-ABI build before the largest one <= host (or the first one).
  size_t largest = 0;
  for (size_t i = 0; i < std::size(kStableAbiBuilds); ++i)
    if (kStableAbiBuilds[i] <= host.build) largest = i;
  uint32_t floor = kStableAbiBuilds[largest == 0 ? 0 : largest - 1];
  return image.build >= floor && image.build <= host.build;
}

Status CheckOsVersion(std::string_view os, std::string_view v) {
  if (v.empty()) return {};
  bool ok = v.size() <= 32;
  auto parts = Split(v, '.');
  for (auto part : parts)
    ok = ok && !part.empty() && part.size() <= 9 &&
         part.find_first_not_of("0123456789") == std::string_view::npos;
  if (ok && Lower(os) == "windows") ok = parts.size() == 3 || parts.size() == 4;
  if (ok) return {};
  std::string shown;
  for (char c : v.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f && c != '"') ? c : '?';
  if (v.size() > 40) shown += "...";
  return Fail(ErrorCode::kInvalidInput,
              "os.version \"" + shown + "\" is not a version (" +
                  (Lower(os) == "windows" ? "10.0.BUILD[.REV]" : "digits and dots") + ")");
}

Result<Platform> Platform::Parse(std::string_view text) {
  Platform p;
  std::string_view rest = text;
  if (auto open = rest.find('('); open != std::string_view::npos) {
    auto close = rest.find(')', open);
    if (close == std::string_view::npos)
      return Fail(ErrorCode::kInvalidInput, "invalid platform \"" + std::string(text) + "\"");
    p.os_version = std::string(rest.substr(open + 1, close - open - 1));
    std::string rebuilt = std::string(rest.substr(0, open)) + std::string(rest.substr(close + 1));
    auto r = Parse(rebuilt);
    if (!r) return Fail(ErrorCode::kInvalidInput, "invalid platform \"" + std::string(text) + "\"");
    r->os_version = p.os_version;
    return r;
  }
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    p.os_version = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (p.os_version.empty())
      return Fail(ErrorCode::kInvalidInput, "invalid platform \"" + std::string(text) +
                                                "\": empty os.version after ':'");
  }
  auto parts = Split(rest, '/');
  if (parts.empty() || parts.size() > 3 ||
      std::any_of(parts.begin(), parts.end(), [](auto s) { return s.empty(); }))
    return Fail(ErrorCode::kInvalidInput, "invalid platform \"" + std::string(text) +
                                              "\": expected os/arch[/variant][:os.version]");
  p.os = Lower(parts[0]);
  if (parts.size() > 1) p.architecture = Lower(parts[1]);
  if (parts.size() > 2) p.variant = Lower(parts[2]);
  if (p.architecture.empty()) p.architecture = HostLinux().architecture;
  if (!p.os_version.empty() && !WindowsVersion::Parse(p.os_version))
    return Fail(ErrorCode::kInvalidInput, "invalid os.version \"" + p.os_version + "\" in platform \"" +
                                              std::string(text) + "\": expected 10.0.BUILD[.REV]");
  return p.Normalized();
}

Result<std::vector<Platform>> Platform::ParseList(std::string_view text) {
  std::vector<Platform> out;
  for (auto item : Split(text, ',')) {
    KILN_ASSIGN(auto p, Parse(item));
    out.push_back(std::move(p));
  }
  return out;
}

Platform Platform::HostLinux() {
#if defined(__aarch64__)
  return Platform{"linux", "arm64", "", "", {}};
#else
  return Platform{"linux", "amd64", "", "", {}};
#endif
}

Platform Platform::Normalized() const {
  Platform p = *this;
  p.os = Lower(p.os);
  p.architecture = Lower(p.architecture);
  p.variant = Lower(p.variant);
  if (p.os == "macos") p.os = "darwin";
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "i386") p.architecture = "386";
  if (p.architecture == "amd64" && p.variant == "v1") p.variant.clear();
  if (p.architecture == "arm64" && p.variant == "v8") p.variant.clear();
  if (p.architecture == "armhf") p.architecture = "arm", p.variant = "v7";
  if (p.architecture == "armel") p.architecture = "arm", p.variant = "v6";
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  return p;
}

std::string Platform::ToString() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  if (!os_version.empty()) out += ":" + os_version;
  return out;
}

bool PlatformMatches(const Platform& want_in, const Platform& entry_in) {
  Platform want = want_in.Normalized(), entry = entry_in.Normalized();
  if (want.os != entry.os || want.architecture != entry.architecture) return false;
  if (!want.variant.empty() && want.variant != entry.variant) return false;
  for (const auto& f : entry.os_features) {
    if (f == "win32k") continue;
    if (std::find(want.os_features.begin(), want.os_features.end(), f) == want.os_features.end())
      return false;
  }
  if (want.is_windows() && !want.os_version.empty() && !entry.os_version.empty()) {
    auto host = WindowsVersion::Parse(want.os_version);
    auto image = WindowsVersion::Parse(entry.os_version);
    if (!host || !image) return false;
    return ProcessIsolationCompatible(*host, *image);
  }
  return true;
}

std::optional<size_t> SelectPlatform(const Platform& want, const std::vector<Platform>& entries) {
  std::optional<size_t> best;
  auto host = WindowsVersion::Parse(want.os_version);
  // Rank: (variant exact, exact build, build, revision); higher is better; ties keep index order.
  auto rank = [&](const Platform& e) {
    auto v = WindowsVersion::Parse(e.os_version).value_or(WindowsVersion{});
    bool exact_variant = e.Normalized().variant == want.Normalized().variant;
    bool exact_build = host && v.build == host->build;
    return std::tuple(exact_variant, exact_build, v.build, v.revision);
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!PlatformMatches(want, entries[i])) continue;
    if (!best || rank(entries[i]) > rank(entries[*best])) best = i;
  }
  return best;
}

}  // namespace kiln::core
