#include "parser/heredoc.h"

#include <algorithm>
#include <limits>

#include "parser/shell_lexer.h"

namespace kiln::parser {
namespace {

bool IsReSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

size_t CountQuotes(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\'') +
                             std::count(s.begin(), s.end(), '"'));
}

}  // namespace

core::Result<std::optional<Heredoc>> ParseHeredoc(std::string_view word) {
  size_t i = 0;
  uint64_t fd = 0;
  bool overflow = false;
  while (i < word.size() && word[i] >= '0' && word[i] <= '9') {
    uint64_t digit = static_cast<uint64_t>(word[i] - '0');
    if (fd > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
    fd = fd * 10 + digit;
    ++i;
  }
  if (overflow) fd = std::numeric_limits<uint64_t>::max();  // Go's ParseUint saturates
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  bool chomp = i < word.size() && word[i] == '-';
  if (chomp) ++i;
  while (i < word.size() && IsReSpace(word[i])) ++i;
  std::string_view rest = word.substr(i);
  if (rest.find('<') != std::string_view::npos || rest.empty()) return std::nullopt;

  LexOptions options;
  options.skip_unset_env = true;
  EmptyEnv env;
  KILN_ASSIGN(auto words, ShellLexer(options).ProcessWords(rest, env));
  if (words.size() != 1) return std::nullopt;
  options.raw_quotes = true;
  KILN_ASSIGN(auto raw, ShellLexer(options).ProcessWords(rest, env));
  if (raw.size() != words.size()) {
    return core::Fail(
        core::ErrorCode::kInvalidInput,
        "internal lexing of heredoc produced inconsistent results: " + std::string(rest));
  }
  Heredoc doc;
  doc.name = words[0];
  doc.file_descriptor = fd;
  doc.chomp = chomp;
  doc.expand = CountQuotes(words[0]) == CountQuotes(raw[0]);
  return doc;
}

core::Result<std::vector<Heredoc>> HeredocsFromLine(std::string_view line) {
  LexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset_env = true;
  auto words = ShellLexer(options).ProcessWords(line, EmptyEnv());
  std::vector<Heredoc> docs;
  if (!words) return docs;
  for (const std::string& word : *words) {
    KILN_ASSIGN(auto doc, ParseHeredoc(word));
    if (doc) docs.push_back(std::move(*doc));
  }
  return docs;
}

std::string ChompHeredocContent(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

}  // namespace kiln::parser
