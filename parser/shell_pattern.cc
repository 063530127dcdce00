#include "parser/shell_pattern.h"

#include <algorithm>
#include <optional>
#include <unordered_set>
#include <vector>

#include "parser/quote.h"
#include "parser/rune_scanner.h"

namespace kiln::parser {
namespace {

struct Token {
  enum Kind { kLiteral, kAny, kStar } kind;
  char32_t rune = 0;
};

// convertShellPatternToRegex, producing tokens instead of regexp text.
core::Result<std::vector<Token>> Compile(std::string_view pattern) {
  std::vector<Token> tokens;
  RuneScanner scan(pattern);
  for (char32_t tok = scan.Next(); tok != RuneScanner::kEof; tok = scan.Next()) {
    if (tok == '*') {
      tokens.push_back({Token::kStar});
    } else if (tok == '?') {
      tokens.push_back({Token::kAny});
    } else if (tok == '\\') {
      if (scan.Peek() == '}' || scan.Peek() == '/') continue;
      tok = scan.Next();
      if (tok != '*' && tok != '?' && tok != '\\') {
        std::string msg = "invalid escape '\\";
        AppendRune(msg, tok == RuneScanner::kEof ? kRuneError : tok);
        return core::Fail(core::ErrorCode::kInvalidInput, msg + "'");
      }
      tokens.push_back({Token::kLiteral, tok});
    } else {
      tokens.push_back({Token::kLiteral, tok});
    }
  }
  return tokens;
}

// The subject as runes, with the byte offset of each rune in the original string.
struct Subject {
  std::vector<char32_t> runes;
  std::vector<size_t> offsets;   // size runes+1
  std::vector<size_t> line_end;  // first '\n' at or after i (or size), size runes+1
  explicit Subject(std::string_view s) {
    size_t pos = 0;
    while (pos < s.size()) {
      DecodedRune d = DecodeRune(s.substr(pos));
      runes.push_back(d.rune);
      offsets.push_back(pos);
      pos += d.width;
    }
    offsets.push_back(pos);
    line_end.resize(runes.size() + 1);
    line_end[runes.size()] = runes.size();
    for (size_t i = runes.size(); i-- > 0;) line_end[i] = runes[i] == '\n' ? i : line_end[i + 1];
  }
};

// Leftmost-first (Perl/RE2) matching of a token list: stars try their longest (greedy) or
// shortest extent first. Backtracking is iterative; states known to fail are remembered, so a
// search costs O(tokens x runes) even over many start positions.
class Matcher {
 public:
  Matcher(const std::vector<Token>& tokens, const Subject& subject, bool greedy)
      : tokens_(tokens), s_(subject), greedy_(greedy) {}

  // End of the preferred match starting at rune `start`, if any.
  std::optional<size_t> MatchAt(size_t start) {
    struct Frame {
      size_t ti, p, remaining, max;
    };
    std::vector<Frame> stack;
    size_t ti = 0, p = start, n = s_.runes.size(), m = tokens_.size();
    while (true) {
      bool ok = true;
      while (ti < m && tokens_[ti].kind != Token::kStar) {
        if (p < n && Accepts(tokens_[ti], s_.runes[p])) {
          ++ti, ++p;
        } else {
          ok = false;
          break;
        }
      }
      if (ok && ti == m) return p;
      if (ok && !failed_.contains(Key(ti, p))) {
        size_t max = s_.line_end[p];
        stack.push_back({ti, p, max - p + 1, max});
      }
      while (true) {
        if (stack.empty()) return std::nullopt;
        Frame& f = stack.back();
        if (f.remaining == 0) {
          failed_.insert(Key(f.ti, f.p));
          stack.pop_back();
          continue;
        }
        size_t q = greedy_ ? f.p + f.remaining - 1 : f.max - f.remaining + 1;
        --f.remaining;
        ti = f.ti + 1;
        p = q;
        break;
      }
    }
  }

  // Leftmost match at or after `from`: [begin, end) in runes.
  std::optional<std::pair<size_t, size_t>> Find(size_t from) {
    for (size_t start = from; start <= s_.runes.size(); ++start) {
      if (auto end = MatchAt(start)) return std::make_pair(start, *end);
    }
    return std::nullopt;
  }

 private:
  static bool Accepts(const Token& t, char32_t r) {
    return t.kind == Token::kAny ? r != '\n' : r == t.rune;
  }
  uint64_t Key(size_t ti, size_t p) const { return ti * (s_.runes.size() + 1) + p; }

  const std::vector<Token>& tokens_;
  const Subject& s_;
  bool greedy_;
  std::unordered_set<uint64_t> failed_;
};

core::Error InvalidPattern(std::string_view pattern, const core::Error& e) {
  return core::Error{core::ErrorCode::kInvalidInput,
                     "invalid pattern (" + std::string(pattern) + ") in substitution: " + e.message,
                     std::nullopt};
}

std::string Utf8(const std::u32string& runes) {
  std::string out;
  for (char32_t r : runes) AppendRune(out, r);
  return out;
}

// BuildKit's reversePattern: reverses runes but keeps each "\x" escape pair in order.
std::u32string ReversePattern(const std::u32string& p) {
  std::u32string out(p.size(), 0);
  size_t last = p.empty() ? 0 : p.size() - 1;
  for (size_t i = 0; i < p.size();) {
    size_t o = last - i;
    if (p[i] == '\\' && i != last) {
      out[o - 1] = '\\';
      out[o] = p[i + 1];
      i += 2;
    } else {
      out[o] = p[i];
      ++i;
    }
  }
  return out;
}

// Go's Regexp.Expand for a regexp without groups: $0 / ${0} is the match, $$ is '$', every
// other well-formed $name is empty, a malformed one is a literal '$'.
void ExpandTemplate(std::string& out, std::string_view tmpl, std::string_view match) {
  while (true) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view rest = tmpl;
    bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    size_t i = 0;
    while (i < rest.size()) {
      DecodedRune d = DecodeRune(rest.substr(i));
      if (!IsLetter(d.rune) && !IsDigit(d.rune) && d.rune != '_') break;
      i += d.width;
    }
    if (i == 0 || (brace && (i >= rest.size() || rest[i] != '}'))) {
      out.push_back('$');
      continue;
    }
    std::string_view name = rest.substr(0, i);
    tmpl = rest.substr(i + (brace ? 1 : 0));
    if (name == "0") out.append(match);
  }
  out.append(tmpl);
}

}  // namespace

core::Result<std::string> TrimPrefixPattern(std::string_view pattern, std::string_view value,
                                            bool greedy) {
  auto tokens = Compile(pattern);
  if (!tokens) return std::unexpected(InvalidPattern(pattern, tokens.error()));
  Subject subject(value);
  Matcher matcher(*tokens, subject, greedy);
  if (auto end = matcher.MatchAt(0)) return std::string(value.substr(subject.offsets[*end]));
  return std::string(value);
}

core::Result<std::string> TrimSuffixPattern(std::string_view pattern, std::string_view value,
                                            bool greedy) {
  std::string reversed_pattern = Utf8(ReversePattern(DecodeRunes(pattern)));
  std::u32string v = DecodeRunes(value);
  std::reverse(v.begin(), v.end());
  KILN_ASSIGN(std::string trimmed, TrimPrefixPattern(reversed_pattern, Utf8(v), greedy));
  std::u32string t = DecodeRunes(trimmed);
  std::reverse(t.begin(), t.end());
  return Utf8(t);
}

core::Result<std::string> ReplacePattern(std::string_view pattern, std::string_view value,
                                         std::string_view replacement, bool all,
                                         size_t max_bytes) {
  auto too_long = [] {
    return core::Fail(core::ErrorCode::kUnsupported, "replacement result too long");
  };
  auto tokens = Compile(pattern);
  if (!tokens) return std::unexpected(InvalidPattern(pattern, tokens.error()));
  Subject s(value);
  Matcher matcher(*tokens, s, /*greedy=*/true);
  auto bytes = [&](size_t from, size_t to) {
    return value.substr(s.offsets[from], s.offsets[to] - s.offsets[from]);
  };
  size_t n = s.runes.size();
  if (!all) {
    auto m = matcher.Find(0);
    if (!m) return std::string(value);
    if (value.size() - (s.offsets[m->second] - s.offsets[m->first]) + replacement.size() >
        max_bytes)
      return too_long();
    return std::string(bytes(0, m->first)) + std::string(replacement) +
           std::string(bytes(m->second, n));
  }
  std::string out;
  size_t last_end = 0, search = 0;
  while (search <= n) {
    auto m = matcher.Find(search);
    if (!m) break;
    out.append(bytes(last_end, m->first));
    if (m->second > last_end || m->first == 0) {
      ExpandTemplate(out, replacement, bytes(m->first, m->second));
    }
    if (out.size() > max_bytes) return too_long();
    last_end = m->second;
    search = m->second <= search ? search + 1 : m->second;
  }
  out.append(bytes(last_end, n));
  if (out.size() > max_bytes) return too_long();
  return out;
}

}  // namespace kiln::parser
