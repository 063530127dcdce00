// Go's strconv.Quote, used by the BuildKit-compatible AST dump and in error messages that
// BuildKit formats with %q.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::parser {

// Double-quoted Go string literal of `s`: \a \b \f \n \r \t \v \\ \", printable runes as they
// are, other runes as \xHH (invalid bytes and ASCII controls), \uHHHH or \UHHHHHHHH.
std::string GoQuote(std::string_view s);

// Go's fmt %q of a []string: ["a" "b"].
std::string GoQuoteList(const std::vector<std::string>& items);

}  // namespace kiln::parser
