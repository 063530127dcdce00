// Parsing Dockerfile text into the AST (stage 1), with BuildKit's rules for parser directives,
// BOM, comments, line continuations, heredocs and the exec/shell form of each instruction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/node.h"

namespace kiln::parser {

// A parser directive at the top of the file: `# syntax=...`, `# escape=...`, `# check=...`.
struct Directive {
  std::string name;  // lower-case
  std::string value;
  int line = 0;
};

struct ParseWarning {
  std::string message;  // "Empty continuation line found in: RUN ..."
  int line = 0;
};

struct Ast {
  std::vector<Node> children;  // one per instruction, in order
  char escape = '\\';          // the active escape character ('\\' or '`')
  std::vector<Directive> directives;
  std::vector<ParseWarning> warnings;
  int start_line = 0, end_line = 0;  // of the first and last instruction

  // BuildKit's dump: one `(instruction ...)` per line, no trailing newline.
  std::string Dump() const;
};

// Parses a whole Dockerfile. `filename` goes into every SourceRange. Fails (with a location) on
// a repeated or invalid directive, an unterminated heredoc, a JSON array with non-strings, an
// ENV/LABEL without a value, or a file with no instructions. Never throws, for any bytes.
// Input limits, the same for every verb (kiln parse and kiln build both parse through here):
// a Dockerfile of at most kMaxDockerfileBytes, physical lines of at most kMaxLineBytes (without
// the '\n'; BuildKit's bufio.Scanner limit, "dockerfile line greater than max allowed size of
// 65535", frontend/dockerfile/parser/parser.go).
inline constexpr size_t kMaxDockerfileBytes = size_t{16} << 20;
inline constexpr size_t kMaxLineBytes = 65535;

core::Result<Ast> ParseAst(std::string_view text, std::string_view filename = "Dockerfile");

}  // namespace kiln::parser
