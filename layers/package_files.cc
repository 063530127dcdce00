#include "layers/package_files.h"

#include <algorithm>
#include <cctype>

#include "core/image.h"

namespace kiln::layers {
namespace {

using core::Json;

std::string_view BaseName(std::string_view name) {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - suffix.size(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// .NET runtime dependency manifest: "libraries": {"Name/Version": {"type": "package"}}.
void DepsJson(const Json& doc, std::string_view source, std::vector<FoundPackage>& out) {
  auto libs = doc.find("libraries");
  if (libs == doc.end() || !libs->is_object()) return;
  for (const auto& [key, lib] : libs->items()) {
    if (!lib.is_object() || Str(lib, "type") != "package") continue;
    auto slash = key.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) continue;
    out.push_back({"nuget", key.substr(0, slash), key.substr(slash + 1), std::string(source)});
  }
}

// NuGet lock file: "dependencies": {"<framework>": {"Name": {"resolved": "1.0", "type": ...}}}.
void NugetLock(const Json& doc, std::string_view source, std::vector<FoundPackage>& out) {
  auto deps = doc.find("dependencies");
  if (deps == doc.end() || !deps->is_object()) return;
  for (const auto& [framework, packages] : deps->items()) {
    if (!packages.is_object()) continue;
    for (const auto& [name, p] : packages.items()) {
      if (!p.is_object() || Str(p, "type") == "Project") continue;
      std::string version = Str(p, "resolved");
      if (!version.empty()) out.push_back({"nuget", name, version, std::string(source)});
    }
  }
}

// npm lock file v1 ("dependencies", nested).
void NpmV1(const Json& deps, std::string_view source, std::vector<FoundPackage>& out, int depth) {
  if (!deps.is_object() || depth > 64) return;
  for (const auto& [name, p] : deps.items()) {
    if (!p.is_object()) continue;
    std::string version = Str(p, "version");
    if (!version.empty() && !version.starts_with("file:") && !version.starts_with("link:"))
      out.push_back({"npm", name, version, std::string(source)});
    if (auto nested = p.find("dependencies"); nested != p.end()) NpmV1(*nested, source, out, depth + 1);
  }
}

// npm lock file v2/v3: "packages": {"node_modules/a/node_modules/@s/b": {"version": ...}}.
void NpmLock(const Json& doc, std::string_view source, std::vector<FoundPackage>& out) {
  auto packages = doc.find("packages");
  if (packages == doc.end() || !packages->is_object()) {
    if (auto deps = doc.find("dependencies"); deps != doc.end()) NpmV1(*deps, source, out, 0);
    return;
  }
  constexpr std::string_view kModules = "node_modules/";
  for (const auto& [path, p] : packages->items()) {
    if (path.empty() || !p.is_object()) continue;  // "" is the project itself
    if (p.contains("link")) continue;               // a symlink to a workspace folder
    auto at = path.rfind(kModules);
    if (at == std::string::npos) continue;  // a workspace folder, not an installed package
    std::string name = Str(p, "name");
    if (name.empty()) name = path.substr(at + kModules.size());
    std::string version = Str(p, "version");
    if (!name.empty() && !version.empty()) out.push_back({"npm", name, version, std::string(source)});
  }
}

// Percent-encoding of a purl name segment (purl spec: '@' and other reserved characters).
std::string PurlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string FoundPackage::Purl() const {
  std::string path;
  if (ecosystem == "npm" && name.starts_with('@') && name.find('/') != std::string::npos) {
    auto slash = name.find('/');
    path = PurlEncode(name.substr(0, slash)) + "/" + PurlEncode(name.substr(slash + 1));
  } else {
    path = PurlEncode(name);
  }
  return "pkg:" + ecosystem + "/" + path + "@" + PurlEncode(version);
}

bool IsPackageManifest(std::string_view entry_name) {
  std::string_view base = BaseName(entry_name);
  return EndsWithNoCase(base, ".deps.json") || EndsWithNoCase(base, "packages.lock.json") ||
         base == "package-lock.json";
}

std::vector<FoundPackage> ParsePackages(std::string_view entry_name, std::string_view content) {
  std::vector<FoundPackage> out;
  Json doc = Json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return out;
  std::string_view base = BaseName(entry_name);
  try {
    if (EndsWithNoCase(base, ".deps.json")) DepsJson(doc, entry_name, out);
    else if (EndsWithNoCase(base, "packages.lock.json")) NugetLock(doc, entry_name, out);
    else if (base == "package-lock.json") NpmLock(doc, entry_name, out);
  } catch (const Json::exception&) {
    out.clear();
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kiln::layers
