// The glob patterns of ${VAR#p}, ${VAR%p} and ${VAR/p/r}, matched as BuildKit does (it turns
// them into Go regular expressions): '*' is any run of characters except newline (shortest or
// longest, leftmost-first), '?' one character except newline, \* \? \\ are literal, \} and \/
// stand for } and /, every other character is literal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::parser {

// ${VAR#pattern} (greedy=false) and ${VAR##pattern} (greedy=true): removes the matching prefix.
// Fails with "invalid pattern (P) in substitution: invalid escape '\x'" on a bad escape.
core::Result<std::string> TrimPrefixPattern(std::string_view pattern, std::string_view value,
                                            bool greedy);
// ${VAR%pattern} / ${VAR%%pattern}: removes the matching suffix (BuildKit reverses the value and
// the pattern and trims a prefix, so invalid UTF-8 in the value becomes U+FFFD).
core::Result<std::string> TrimSuffixPattern(std::string_view pattern, std::string_view value,
                                            bool greedy);
// ${VAR/pattern/repl} (all=false: first match, repl literal) and ${VAR//pattern/repl} (all
// matches, with Go's ReplaceAllString template: $0 is the match, $$ a dollar, other $names empty).
// Fails with kUnsupported when the result would be longer than `max_bytes`.
core::Result<std::string> ReplacePattern(std::string_view pattern, std::string_view value,
                                         std::string_view replacement, bool all,
                                         size_t max_bytes = SIZE_MAX);

}  // namespace kiln::parser
