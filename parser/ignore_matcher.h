// .dockerignore: reading the file (moby/patternmatcher/ignorefile.ReadAll), deciding which file
// applies (<Dockerfile>.dockerignore beside the Dockerfile wins over the context's
// .dockerignore), and matching context paths against the patterns (moby/patternmatcher:
// "**", "!" exceptions, leading "/", path cleaning, later patterns override earlier ones).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/ignore_pattern.h"

namespace kiln::parser {

// ignorefile.ReadAll: strips a UTF-8 BOM, skips lines starting with '#' and blank lines, trims
// white space, cleans each path and drops a leading '/' ("!" prefixes are kept).
std::vector<std::string> ReadIgnoreFile(std::string_view content);

// Which ignore file applies to a build, in order of precedence: "<dockerfile_path>.dockerignore"
// (the Dockerfile's own name plus ".dockerignore", in its directory), then
// "<context_dir>/.dockerignore". The caller reads them; no I/O here.
std::vector<std::string> DockerignoreCandidates(std::string_view dockerfile_path,
                                                std::string_view context_dir);

struct IgnoreCandidate {
  std::string path;
  std::optional<std::string> content;  // nullopt: the file does not exist
};
struct IgnoreFile {
  std::string path;
  std::vector<std::string> patterns;
};
// The first existing candidate, read with ReadIgnoreFile; nullopt when none exists.
std::optional<IgnoreFile> SelectDockerignore(const std::vector<IgnoreCandidate>& candidates);

class IgnoreMatcher {
 public:
  // patternmatcher.New: trims and cleans each pattern, skips empty ones; fails on a lone "!"
  // (`illegal exclusion pattern: "!"`) and on filepath.Match syntax errors ("syntax error in
  // pattern").
  static core::Result<IgnoreMatcher> Create(const std::vector<std::string>& patterns);

  // Whether the slash-separated context path is excluded from the build context:
  // patternmatcher's MatchesOrParentMatches (a pattern matching a parent directory matches
  // the path; the last matching pattern decides). The path is cleaned first; "." never
  // matches. Fails when a pattern is a bad regular expression.
  core::Result<bool> Matches(std::string_view path) const;
  // The same without cleaning `path` first (patternmatcher's method of that name).
  core::Result<bool> MatchesOrParentMatches(std::string_view path) const;

  // For tree walks: the per-pattern results for a directory, to pass to its children
  // (patternmatcher's MatchInfo). Empty = no information (the path's parents are checked).
  struct ParentInfo {
    std::vector<bool> matched;
  };
  // patternmatcher's MatchesUsingParentResults: same answer as Matches without re-checking
  // the parents. `path` must be cleaned; `info` receives this path's per-pattern results.
  core::Result<bool> MatchesUsingParentResults(std::string_view path, const ParentInfo& parent,
                                               ParentInfo& info) const;

  // For tree walks that must answer exactly as Matches (MatchesUsingParentResults does not in
  // some "!" cases): per pattern, whether it matches a directory or one of its parents.
  struct DirMatches {
    std::vector<bool> any;  // empty: the context root (no parents to check)
  };
  // `dir`'s (cleaned, not "."), from those of its parent directory (empty for a top-level one).
  DirMatches ForDir(std::string_view dir, const DirMatches& parent) const;
  // Matches(path) for a cleaned `path` whose parent directory's DirMatches is `parent`, without
  // re-matching the parents.
  core::Result<bool> MatchesIn(std::string_view path, const DirMatches& parent) const;

  // The deprecated forms, kept for patternmatcher's test cases: Matches (checks only the
  // parent of the same depth as each pattern) and MatchesUsingParentResult (one bool).
  core::Result<bool> MatchesLegacy(std::string_view path) const;
  core::Result<bool> MatchesUsingParentResult(std::string_view path, bool parent_matched) const;

  bool HasExclusions() const { return exclusions_; }
  const std::vector<IgnorePattern>& patterns() const { return patterns_; }

 private:
  std::vector<IgnorePattern> patterns_;
  bool exclusions_ = false;
};

}  // namespace kiln::parser
