// One .dockerignore pattern compiled as moby/patternmatcher compiles it: an exact, prefix
// (`dir/**`), suffix (`**/name`) or regular-expression match over slash-separated paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/glob_regexp.h"

namespace kiln::parser {

enum class IgnoreMatchType { kExact, kPrefix, kSuffix, kRegexp };

// The match type and Go regular expression patternmatcher's compile() makes of a cleaned
// pattern, for path separator `sep` ('/' everywhere in kiln; '\\' only to test the Windows form).
struct CompiledGlob {
  IgnoreMatchType type = IgnoreMatchType::kExact;
  std::string regexp;  // "^...$" for kRegexp, else ""
};
CompiledGlob CompileGlob(std::string_view pattern, char sep = '/');

// Go's filepath.Match syntax check (what patternmatcher.New runs): false for unclosed or empty
// [classes], bad ranges, and a trailing backslash.
bool IsValidGlob(std::string_view pattern);

class IgnorePattern {
 public:
  // `cleaned` is the pattern after path cleaning and without its leading '!'.
  IgnorePattern(std::string cleaned, bool exclusion);

  // Whether `path` (slash-separated, cleaned) matches. Fails with "syntax error in pattern"
  // when Go's regexp engine would reject the generated expression (e.g. "[Local-Only]").
  core::Result<bool> Match(std::string_view path) const;

  const std::string& text() const { return cleaned_; }
  bool exclusion() const { return exclusion_; }
  size_t depth() const { return depth_; }  // number of path elements
  IgnoreMatchType type() const { return compiled_.type; }

 private:
  std::string cleaned_;
  bool exclusion_;
  size_t depth_;
  CompiledGlob compiled_;
  std::optional<GlobRegexp> regexp_;  // set for kRegexp when it compiles
};

}  // namespace kiln::parser
