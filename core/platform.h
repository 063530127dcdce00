// Target platforms (os/arch/variant + Windows os.version), their parsing and the index-entry
// matching rules, including the Windows process-isolation version rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::core {

// "10.0.20348.2582": major.minor.build[.revision]. Revision (UBR) is 0 when absent.
struct WindowsVersion {
  uint32_t major = 0, minor = 0, build = 0, revision = 0;
  // Accepts 3 or 4 numeric parts; nullopt otherwise.
  static std::optional<WindowsVersion> Parse(std::string_view text);
  std::string ToString() const;  // 4 parts
  auto operator<=>(const WindowsVersion&) const = default;
};

// Friendly name of a Windows build number ("Windows Server 2022 (ltsc2022)"), or "build N".
std::string WindowsBuildName(uint32_t build);

// True when a host of build `host` can run an image of build `image` with process isolation
// (containerd/platforms v1.0.0-rc.5 rule: exact build below 20348, the stable-ABI range above).
bool ProcessIsolationCompatible(const WindowsVersion& host, const WindowsVersion& image);

struct Platform {
  std::string os;            // "linux", "windows"
  std::string architecture;  // "amd64", "arm64", ...
  std::string variant;       // "v8", "v7", "" ...
  std::string os_version;    // Windows: "10.0.20348" or "10.0.20348.2582"; else usually empty
  std::vector<std::string> os_features;

  // Parses "os[/arch[/variant]][:os.version]" and BuildKit's "os(version)/arch[/variant]".
  // Normalises (x86_64 -> amd64, aarch64 -> arm64, arm64/v8 -> arm64). Fails on empty parts.
  static Result<Platform> Parse(std::string_view text);
  // Parses a comma-separated list ("linux/amd64,windows/amd64:10.0.17763").
  static Result<std::vector<Platform>> ParseList(std::string_view text);
  // The platform kiln runs on, as a Linux target (os=linux, this binary's architecture).
  static Platform HostLinux();

  Platform Normalized() const;
  bool is_windows() const { return os == "windows"; }
  // "os/arch[/variant][:os.version]".
  std::string ToString() const;
  bool operator==(const Platform&) const = default;
};

// Whether an index entry's platform can serve `want`. For Windows, want.os_version is the host
// (target) build; an entry or want without os.version always matches on version. os.features of
// the entry minus "win32k" must be a subset of want's.
bool PlatformMatches(const Platform& want, const Platform& entry);

// Checks an os.version read from an image config or index entry (untrusted): empty, or at most
// 32 characters of digits and dots in parts of 1-9 digits; for os "windows" 3 or 4 parts
// (10.0.BUILD[.REV]). The error (kInvalidInput) names the value, shortened and made printable.
Status CheckOsVersion(std::string_view os, std::string_view os_version);

// Picks the best of `entries` for `want` (windows-layer-format.md 2.3 C): matching entries only;
// prefer the exact build, then the highest build, then the highest revision (numeric), then
// the earliest index position. Returns the index into `entries`, or nullopt if none matches.
std::optional<size_t> SelectPlatform(const Platform& want, const std::vector<Platform>& entries);

}  // namespace kiln::core
