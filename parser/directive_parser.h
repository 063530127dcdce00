// Parser directives (`# syntax=...`, `# escape=...`, `# check=...`): recognised only in the
// comment lines at the very top of a Dockerfile, each at most once (BuildKit's DirectiveParser).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/error.h"
#include "parser/ast.h"

namespace kiln::parser {

class DirectiveParser {
 public:
  // Feeds the next line (without its newline, leading white space already removed). Returns
  // the directive on it, nullopt when it is none (the first non-directive line ends the
  // directive block), or an error for a repeated directive.
  core::Result<std::optional<Directive>> ParseLine(std::string_view line);

 private:
  int line_ = 0;
  bool done_ = false;
  std::set<std::string> seen_;
};

}  // namespace kiln::parser
