#include "layers/junk_rules.h"

#include <fstream>

#include "core/sys_fs.h"
#include "layers/windows_layer.h"

namespace kiln::layers {
namespace {

// Windows: what piles up in images built with installers, PowerShell and package managers
// (prior-art.md 3.4: community cleanup scripts; the list).
const char* const kWindowsDefaults[] = {
    "Windows/Temp/**",
    "Users/*/AppData/Local/Temp/**",
    "Windows/SoftwareDistribution/Download/**",
    "Windows/Logs/**",
    "**/*.etl",
    "ProgramData/Microsoft/Windows/WER/**",
    "Users/*/AppData/Local/Microsoft/Windows/WER/**",
    "Users/*/AppData/Local/CrashDumps/**",
    "Windows/Installer/$PatchCache$/**",
    "Users/*/.nuget/packages/**",
    "Users/*/AppData/Local/NuGet/**",
    "Users/*/AppData/Local/npm-cache/**",
    "Users/*/AppData/Roaming/npm-cache/**",
    "Users/*/AppData/Local/pip/Cache/**",
};

const char* const kLinuxDefaults[] = {
    "tmp/**",
    "var/tmp/**",
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/lib/apt/lists/**",
    "var/cache/apk/**",
    "root/.cache/pip/**",
    "home/*/.cache/pip/**",
    "root/.npm/_cacache/**",
    "home/*/.npm/_cacache/**",
    "root/.nuget/packages/**",
};

bool GlobAt(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p.starts_with("**")) {
      std::string_view rest = p.substr(2);
      // "**/" also matches nothing at all ("**/*.etl" matches "a.etl").
      if (rest.starts_with('/') && GlobAt(rest.substr(1), s)) return true;
      for (size_t i = 0; i <= s.size(); ++i)
        if (GlobAt(rest, s.substr(i))) return true;
      return false;
    }
    if (p[0] == '*') {
      for (size_t i = 0; i <= s.size(); ++i) {
        if (GlobAt(p.substr(1), s.substr(i))) return true;
        if (i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (p[0] == '?' ? s[0] == '/' : p[0] != s[0]) return false;
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

bool AnyMatch(const std::vector<std::string>& patterns, std::string_view path) {
  for (const auto& p : patterns)
    if (GlobAt(p, path)) return true;
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) { return GlobAt(pattern, path); }

std::vector<std::string> JunkRules::DefaultPatterns(LayerFlavor flavor) {
  std::vector<std::string> out;
  if (flavor == LayerFlavor::kWindows)
    for (const char* p : kWindowsDefaults) out.emplace_back(p);
  else
    for (const char* p : kLinuxDefaults) out.emplace_back(p);
  return out;
}

JunkRules JunkRules::Defaults(LayerFlavor flavor) {
  JunkRules r;
  for (const auto& p : DefaultPatterns(flavor)) (void)r.Add(p);
  return r;
}

core::Status JunkRules::Add(std::string_view pattern) {
  bool exception = pattern.starts_with('!');
  if (exception) pattern.remove_prefix(1);
  while (pattern.starts_with('/')) pattern.remove_prefix(1);
  if (pattern.empty())
    return core::Fail(core::ErrorCode::kInvalidInput, "empty junk rule");
  // Kept twice: as given (Linux) and case-folded (Windows compares folded paths).
  (exception ? exclude_ : include_).emplace_back(pattern);
  (exception ? folded_exclude_ : folded_include_).push_back(windows::FoldCase(pattern));
  return {};
}

core::Status JunkRules::Load(const std::string& path) {
  std::ifstream in(sys::U8Path(path));
  if (!in) return core::Fail(core::ErrorCode::kNotFound, "cannot read junk rules " + path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    auto st = Add(std::string_view(line).substr(start));
    if (!st) return core::Fail(st.error().code, path + ":" + std::to_string(n) + ": " + st.error().message);
  }
  return {};
}

void JunkRules::Append(const JunkRules& other) {
  for (const auto& p : other.include_) (void)Add(p);
  for (const auto& p : other.exclude_) (void)Add("!" + p);
}

bool JunkRules::Matches(std::string_view path, LayerFlavor flavor) const {
  if (include_.empty()) return false;
  if (flavor != LayerFlavor::kWindows) return AnyMatch(include_, path) && !AnyMatch(exclude_, path);
  std::string folded = windows::FoldCase(path);
  return AnyMatch(folded_include_, folded) && !AnyMatch(folded_exclude_, folded);
}

}  // namespace kiln::layers
