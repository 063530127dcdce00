// The Dockerfile AST (stage 1 of the front end): one Node per instruction, as BuildKit's
// parser.Node, with its flags, arguments, heredocs, comments and location.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/source_range.h"

namespace kiln::parser {

// A here-document attached to RUN/COPY/ADD: `<<EOF` ... `EOF`.
struct Heredoc {
  std::string name;              // the delimiter word, unquoted ("EOF")
  uint64_t file_descriptor = 0;  // the N of `N<<EOF` (0 when absent)
  bool expand = true;            // false when any part of the delimiter was quoted
  bool chomp = false;            // `<<-`: leading tabs are stripped
  std::string content;           // raw lines between the instruction and the delimiter
  bool operator==(const Heredoc&) const = default;
};

struct Node {
  std::string value;               // the instruction keyword as written ("RUN", "from")
  std::vector<std::string> flags;  // leading --flags as written, unquoted ("--from=build")
  // The arguments as BuildKit's line parser for this instruction splits them (exec form: one
  // per JSON element; ENV/LABEL: key, value, separator triples; unknown instructions: [""]).
  std::vector<std::string> args;
  std::unique_ptr<Node> sub;  // ONBUILD's trigger instruction (args is empty then)
  bool json = false;          // exec (JSON array) form
  std::vector<Heredoc> heredocs;
  std::string original;               // the logical line, continuations joined (no heredoc bodies)
  std::vector<std::string> comments;  // the comment lines just above the instruction
  core::SourceRange range;            // first line/column to last line (heredocs included)

  Node() = default;
  Node(Node&&) = default;
  Node& operator=(Node&&) = default;

  // BuildKit's Node.Dump: `run ["--mount=x"] "a" "b"` (no parentheses at this level).
  std::string Dump() const;
};

}  // namespace kiln::parser
