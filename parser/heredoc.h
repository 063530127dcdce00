// Heredoc recognition (`<<EOF`, `<<-EOF`, `3<<"EOF"`) with BuildKit's rules: which words of an
// instruction line start a heredoc, what its delimiter is, and whether its body is expanded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/node.h"

namespace kiln::parser {

// Parses one word as a heredoc start (`^(\d*)<<(-?)\s*([^<]*)$` followed by a single shell word
// after quote removal). nullopt when the word is no heredoc; an error when its quotes do not
// close ("<<'EOF"). The content is left empty.
core::Result<std::optional<Heredoc>> ParseHeredoc(std::string_view word);

// All heredocs started on an instruction line, in order (BuildKit's heredocsFromLine: the line
// is split into words with quotes and escapes kept; a line that does not lex has none).
core::Result<std::vector<Heredoc>> HeredocsFromLine(std::string_view line);

// Removes leading tabs from every line (the body of a `<<-` heredoc).
std::string ChompHeredocContent(std::string_view content);

}  // namespace kiln::parser
