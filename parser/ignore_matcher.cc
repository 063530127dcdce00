#include "parser/ignore_matcher.h"

#include "parser/go_path.h"
#include "parser/runes.h"

namespace kiln::parser {
namespace {

std::vector<std::string> SplitSlash(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find('/', start);
    out.emplace_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string JoinFirst(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

// Whether `pattern` matches one of the parent directories listed in `dirs` ("a", "a/b", ...).
bool MatchesAParent(const IgnorePattern& pattern, const std::vector<std::string>& dirs) {
  for (size_t i = 0; i < dirs.size(); ++i) {
    auto r = pattern.Match(JoinFirst(dirs, i + 1));
    if (r && *r) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> ReadIgnoreFile(std::string_view content) {
  std::vector<std::string> out;
  bool first = true;
  while (!content.empty()) {
    size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    first = false;
    if (line.starts_with("#")) continue;
    std::string_view pattern = TrimSpace(line);
    if (pattern.empty()) continue;
    bool invert = pattern[0] == '!';
    if (invert) pattern = TrimSpace(pattern.substr(1));
    std::string cleaned(pattern);
    if (!cleaned.empty()) {
      cleaned = CleanPath(cleaned);
      if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    }
    out.push_back(invert ? "!" + cleaned : cleaned);
  }
  return out;
}

std::vector<std::string> DockerignoreCandidates(std::string_view dockerfile_path,
                                                std::string_view context_dir) {
  std::string context(context_dir.empty() ? "." : context_dir);
  return {std::string(dockerfile_path) + ".dockerignore",
          context == "." ? ".dockerignore" : CleanPath(context + "/.dockerignore")};
}

std::optional<IgnoreFile> SelectDockerignore(const std::vector<IgnoreCandidate>& candidates) {
  for (const IgnoreCandidate& c : candidates) {
    if (c.content) return IgnoreFile{c.path, ReadIgnoreFile(*c.content)};
  }
  return std::nullopt;
}

core::Result<IgnoreMatcher> IgnoreMatcher::Create(const std::vector<std::string>& patterns) {
  IgnoreMatcher m;
  for (const std::string& raw : patterns) {
    std::string_view trimmed = TrimSpace(raw);
    if (trimmed.empty()) continue;
    std::string p = CleanPath(trimmed);
    bool exclusion = p[0] == '!';
    if (exclusion) {
      if (p.size() == 1) {
        return core::Fail(core::ErrorCode::kInvalidInput, "illegal exclusion pattern: \"!\"");
      }
      p.erase(0, 1);
      m.exclusions_ = true;
    }
    if (!IsValidGlob(p))
      return core::Fail(core::ErrorCode::kInvalidInput, "syntax error in pattern");
    m.patterns_.emplace_back(std::move(p), exclusion);
  }
  return m;
}

core::Result<bool> IgnoreMatcher::Matches(std::string_view raw) const {
  std::string path = CleanPath(raw);
  if (path == ".") return false;
  return MatchesOrParentMatches(path);
}

core::Result<bool> IgnoreMatcher::MatchesOrParentMatches(std::string_view path) const {
  bool matched = false;
  std::string parent = DirPath(path);
  std::vector<std::string> dirs = SplitSlash(parent);
  for (const IgnorePattern& pattern : patterns_) {
    if (pattern.exclusion() != matched) continue;
    KILN_ASSIGN(bool match, pattern.Match(path));
    if (!match && parent != ".") match = MatchesAParent(pattern, dirs);
    if (match) matched = !pattern.exclusion();
  }
  return matched;
}

IgnoreMatcher::DirMatches IgnoreMatcher::ForDir(std::string_view dir,
                                                const DirMatches& parent) const {
  DirMatches out;
  out.any.resize(patterns_.size());
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (!parent.any.empty() && parent.any[i]) {
      out.any[i] = true;
      continue;
    }
    auto r = patterns_[i].Match(dir);  // as MatchesAParent: an error is no match
    out.any[i] = r && *r;
  }
  return out;
}

core::Result<bool> IgnoreMatcher::MatchesIn(std::string_view path, const DirMatches& parent) const {
  // MatchesOrParentMatches with the parents' answers given.
  bool matched = false;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& pattern = patterns_[i];
    if (pattern.exclusion() != matched) continue;
    KILN_ASSIGN(bool match, pattern.Match(path));
    if (!match && !parent.any.empty()) match = parent.any[i];
    if (match) matched = !pattern.exclusion();
  }
  return matched;
}

core::Result<bool> IgnoreMatcher::MatchesUsingParentResults(std::string_view path,
                                                            const ParentInfo& parent,
                                                            ParentInfo& info) const {
  if (!parent.matched.empty() && parent.matched.size() != patterns_.size()) {
    return core::Fail(core::ErrorCode::kInternal, "wrong number of values in parentMatched");
  }
  bool matched = false;
  info.matched.assign(patterns_.size(), false);
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& pattern = patterns_[i];
    bool match = !parent.matched.empty() && parent.matched[i];
    if (!match) {
      if (pattern.exclusion() != matched) continue;
      KILN_ASSIGN(match, pattern.Match(path));
      std::string dir = DirPath(path);
      if (!match && parent.matched.empty() && dir != ".") {
        match = MatchesAParent(pattern, SplitSlash(dir));
      }
    }
    info.matched[i] = match;
    if (match) matched = !pattern.exclusion();
  }
  return matched;
}

core::Result<bool> IgnoreMatcher::MatchesLegacy(std::string_view raw) const {
  std::string path = CleanPath(raw);
  if (path == ".") return false;
  bool matched = false;
  std::string parent = DirPath(path);
  std::vector<std::string> dirs = SplitSlash(parent);
  for (const IgnorePattern& pattern : patterns_) {
    if (pattern.exclusion() != matched) continue;
    KILN_ASSIGN(bool match, pattern.Match(path));
    if (!match && parent != "." && pattern.depth() <= dirs.size()) {
      auto r = pattern.Match(JoinFirst(dirs, pattern.depth()));
      match = r && *r;
    }
    if (match) matched = !pattern.exclusion();
  }
  return matched;
}

core::Result<bool> IgnoreMatcher::MatchesUsingParentResult(std::string_view path,
                                                           bool parent_matched) const {
  bool matched = parent_matched;
  for (const IgnorePattern& pattern : patterns_) {
    if (pattern.exclusion() != matched) continue;
    KILN_ASSIGN(bool match, pattern.Match(path));
    if (match) matched = !pattern.exclusion();
  }
  return matched;
}

}  // namespace kiln::parser
