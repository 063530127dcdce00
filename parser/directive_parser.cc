#include "parser/directive_parser.h"

#include "parser/runes.h"

namespace kiln::parser {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || (c >= '0' && c <= '9'); }
// RE2's \s: [\t\n\f\r ].
bool IsReSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
bool MatchDirective(std::string_view s, std::string& key, std::string& value) {
  size_t i = 0;
  if (s.empty() || !IsAsciiAlpha(s[0])) return false;
  while (i < s.size() && IsAsciiAlnum(s[i])) ++i;
  key = std::string(s.substr(0, i));
  while (i < s.size() && IsReSpace(s[i])) ++i;
  if (i >= s.size() || s[i] != '=') return false;
  std::string_view tail = s.substr(i + 1);
  if (tail.empty() || tail.find('\n') != std::string_view::npos) return false;
  size_t begin = 0, end = tail.size();
  while (begin < end && IsReSpace(tail[begin])) ++begin;
  while (end > begin && IsReSpace(tail[end - 1])) --end;
  // All white space: `(.+?)` still needs one character, so the regexp keeps the last one.
  value = begin == end ? std::string(tail.substr(tail.size() - 1))
                       : std::string(tail.substr(begin, end - begin));
  return true;
}

}  // namespace

core::Result<std::optional<Directive>> DirectiveParser::ParseLine(std::string_view line) {
  ++line_;
  if (done_) return std::nullopt;
  if (line.empty() || line[0] != '#') {
    done_ = true;
    return std::nullopt;
  }
  line = TrimLeftSpace(line.substr(1));
  std::string key, value;
  if (!MatchDirective(line, key, value)) {
    done_ = true;
    return std::nullopt;
  }
  key = AsciiLower(key);
  if (key != "syntax" && key != "escape" && key != "check") {
    done_ = true;
    return std::nullopt;
  }
  if (!seen_.insert(key).second) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "only one " + key + " parser directive can be used");
  }
  return Directive{key, value, line_};
}

}  // namespace kiln::parser
