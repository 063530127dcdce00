// Internal to the parser: the instruction set of GlobRegexp's NFA and the compiler from RE2
// syntax to it (glob_regexp_parse.cc). glob_regexp.cc runs the program.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace kiln::parser::detail {

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

struct RegexInst {
  enum Op { kClass, kAnyNotNl, kSplit, kJmp, kBeginText, kEndText, kWordB, kNotWordB, kMatch } op;
  Ranges ranges;  // kClass, sorted and merged
  int x = -1, y = -1;
};

// Appends the program for `expr` to `prog`; returns its start. Fails like Go's regexp.Compile.
core::Result<int> CompileRegexProgram(std::string_view expr, std::vector<RegexInst>& prog);

// Whether `c` is in sorted, merged `r`.
bool InRanges(const Ranges& r, char32_t c);

}  // namespace kiln::parser::detail
