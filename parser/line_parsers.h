// Turning one logical instruction line into a Node: BuildKit's splitCommand (keyword, --flags,
// rest) and its per-instruction argument parsers (parseWords, parseNameVal, parseMaybeJSON...).
// Internal to the parser: ast_parser.cc is the only user.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/node.h"

namespace kiln::parser::detail {

// Splits on runs of [\t\v\f\r ] like Go's regexp Split (n < 0: no limit).
std::vector<std::string_view> SplitWhitespace(std::string_view s, int n);

// BuildKit's parseWords: words split on white space, quotes and escapes kept.
std::vector<std::string> ParseWords(std::string_view rest, char escape);

// Builds the node for `line` (keyword, flags, arguments, json attribute; no location). Fails
// like BuildKit: non-string JSON arrays, ENV/LABEL without values or without '='.
core::Result<Node> NodeFromLine(std::string_view line, char escape);

}  // namespace kiln::parser::detail
