// A small regular-expression engine for the RE2 (Go regexp) syntax that moby's patternmatcher
// generates from .dockerignore patterns: literals and escapes, classes ([a-z], [^...],
// [[:alpha:]], \d \s \w), '.', groups, alternation, * + ? repetition and ^ $ \A \z \b \B.
// Matching is a Thompson NFA simulation over runes: linear time, no recursion at match time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::parser {

namespace detail {
struct RegexInst;
}

class GlobRegexp {
 public:
  // Compiles `expr` with Go's Perl flags (negated classes match newline, '.' does not). Fails
  // on what Go's regexp.Compile rejects in this subset (bad escapes, ranges, brackets, nested
  // repetition); \p{..} classes and {n,m} counts are not supported (an error / literal '{').
  static core::Result<GlobRegexp> Compile(std::string_view expr);

  // Go's MatchString: whether the expression matches anywhere in `text`.
  bool Match(std::string_view text) const;

 private:
  std::shared_ptr<const std::vector<detail::RegexInst>> prog_;
  int start_ = 0;
};

}  // namespace kiln::parser
