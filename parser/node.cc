#include "parser/node.h"

#include "parser/ast.h"
#include "parser/quote.h"
#include "parser/runes.h"

namespace kiln::parser {

std::string Node::Dump() const {
  std::string out = GoToLower(value);
  if (!flags.empty()) out += " " + GoQuoteList(flags);
  if (sub) {
    out += " (" + sub->Dump() + ")";
  } else {
    for (const std::string& arg : args) out += " " + GoQuote(arg);
  }
  return std::string(TrimSpace(out));
}

std::string Ast::Dump() const {
  std::string out;
  for (const Node& child : children) out += "(" + child.Dump() + ")\n";
  return std::string(TrimSpace(out));
}

}  // namespace kiln::parser
