#include "builder/target_path.h"

#include <vector>

namespace kiln::builder {
namespace {

std::string ToSlash(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\\') c = '/';
  return out;
}

bool HasDrive(std::string_view s) {
  return s.size() >= 2 && s[1] == ':' &&
         ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
}

// Splits a Windows path into (drive-less '/'-path, error). Only drive C: is allowed.
core::Result<std::string> StripDrive(std::string_view raw) {
  std::string s = ToSlash(raw);
  if (HasDrive(s)) {
    if (s[0] != 'c' && s[0] != 'C')
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "the path \"" + std::string(raw) + "\" is not on the system drive (C:)");
    s = s.substr(2);
    if (s.empty() || s == ".")
      return core::Fail(core::ErrorCode::kInvalidInput,
                        std::string(raw) + " is not a directory. If you are specifying a drive "
                                           "letter, please add a trailing '\\'");
    if (s[0] != '/') s = "/" + s;  // "c:foo" is drive-relative; treat as C:\foo
  }
  if (s.find(':') != std::string::npos)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "invalid path \"" + std::string(raw) + "\": ':' is only allowed after a drive letter");
  return s;
}

std::string ToWindows(std::string_view clean) {
  std::string out = "C:";
  for (char c : clean) out += c == '/' ? '\\' : c;
  if (out == "C:") out = "C:\\";
  return out;
}

}  // namespace

std::string CleanPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) out += "/" + std::string(p);
  return out.empty() ? "/" : out;
}

std::string JoinTarget(std::string_view base, std::string_view rel) {
  return CleanPath(std::string(base) + "/" + std::string(rel));
}

core::Result<std::string> NormalizeWorkdir(bool windows, std::string_view current,
                                           std::string_view requested) {
  if (requested.empty()) return core::Fail(core::ErrorCode::kInvalidInput, "WORKDIR needs a path");
  if (!windows) {
    std::string req = ToSlash(requested);
    if (req[0] == '/') return CleanPath(req);
    return JoinTarget(current.empty() ? "/" : current, req);
  }
  KILN_ASSIGN(std::string req, StripDrive(requested));
  std::string cur = "/";
  if (!current.empty()) {
    KILN_ASSIGN(cur, StripDrive(current));
  }
  bool absolute = HasDrive(requested) || req[0] == '/';
  return ToWindows(absolute ? CleanPath(req) : JoinTarget(cur, req));
}

core::Result<TargetPath> ResolveDestination(bool windows, std::string_view workdir,
                                            std::string_view dest) {
  if (dest.empty()) return core::Fail(core::ErrorCode::kInvalidInput, "empty destination");
  TargetPath out;
  char last = dest.back();
  out.is_dir = last == '/' || (windows && last == '\\') || dest == "." ||
               dest.ends_with("/.") || (windows && dest.ends_with("\\."));
  std::string d;
  if (windows) {
    KILN_ASSIGN(d, StripDrive(dest));
    if (HasDrive(dest) && d == "/") out.is_dir = true;
  } else {
    d = std::string(dest);
  }
  std::string wd = "/";
  if (!workdir.empty()) {
    if (windows) {
      KILN_ASSIGN(wd, StripDrive(workdir));
    } else {
      wd = std::string(workdir);
    }
  }
  out.path = d[0] == '/' ? CleanPath(d) : JoinTarget(wd, d);
  if (out.path == "/") out.is_dir = true;
  return out;
}

std::string LayerName(bool windows, std::string_view target) {
  std::string clean = CleanPath(target);
  std::string rel = clean == "/" ? "" : clean.substr(1);
  if (!windows) return rel;
  return rel.empty() ? "Files" : "Files/" + rel;
}

}  // namespace kiln::builder
