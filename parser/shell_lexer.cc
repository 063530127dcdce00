#include "parser/shell_lexer.h"

#include <optional>

#include "parser/quote.h"
#include "parser/rune_scanner.h"
#include "parser/shell_pattern.h"

namespace kiln::parser {
namespace {

constexpr char32_t kEof = RuneScanner::kEof;
constexpr int kMaxNesting = 500;  // ${a:-${b:-...}} depth; deeper input is rejected

core::Error LexError(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}

core::Error TooLarge() {
  return LexError("expansion is larger than 16 MiB, kiln's limit for one word");
}

std::string RuneString(char32_t r) {
  std::string s;
  AppendRune(s, r == kEof ? kRuneError : r);
  return s;
}

// BuildKit's wordsStruct. Note that `buf` is shared by every nesting level and reset when a
// level starts (a BuildKit quirk kept on purpose: "a${X:-b}" splits to ["b"] there too).
struct Words {
  std::string* buf;
  std::vector<std::string> words;
  bool in_word = false;

  void AddChar(char32_t ch) {
    if (IsSpace(ch) && in_word) {
      if (!buf->empty()) {
        words.push_back(*buf);
        buf->clear();
        in_word = false;
      }
    } else if (!IsSpace(ch)) {
      AddRawChar(ch);
    }
  }
  void AddRawChar(char32_t ch) {
    AppendRune(*buf, ch);
    in_word = true;
  }
  void AddString(std::string_view s) {
    while (!s.empty()) {
      DecodedRune d = DecodeRune(s);
      AddChar(d.rune);
      s.remove_prefix(d.width);
    }
  }
  void AddRawString(std::string_view s) {
    buf->append(s);
    in_word = true;
  }
  std::vector<std::string> Take() {
    if (!buf->empty()) {
      words.push_back(*buf);
      buf->clear();
      in_word = false;
    }
    return std::move(words);
  }
};

struct Processed {
  std::string result;
  std::vector<std::string> words;
};

// One expansion run over one input (BuildKit's shellWord).
class ShellWord {
 public:
  ShellWord(const LexOptions& o, const Env& env, std::string_view input, WordResult& out)
      : o_(o), env_(env), scan_(input), out_(out), raw_escapes_(o.raw_escapes) {}

  core::Result<Processed> ProcessStopOn(char32_t stop, bool raw_escapes) {
    if (++depth_ > kMaxNesting) return std::unexpected(LexError("expansion nested too deeply"));
    bool saved = raw_escapes_;
    raw_escapes_ = raw_escapes;
    auto r = StopOn(stop);
    raw_escapes_ = saved;
    --depth_;
    return r;
  }

 private:
  core::Result<Processed> StopOn(char32_t stop) {
    std::string result;
    words_buffer_.clear();
    Words words{&words_buffer_, {}, false};
    while (scan_.Peek() != kEof) {
      char32_t ch = scan_.Peek();
      if (stop != kEof && ch == stop) {
        scan_.Next();
        return Processed{result, words.Take()};
      }
      if (IsSpecial(ch)) {
        KILN_ASSIGN(std::string tmp, Special(ch));
        if (ch == '$') KILN_TRY(Account(tmp.size()));  // quotes counted their own
        result += tmp;
        if (ch == '$') {
          words.AddString(tmp);
        } else {
          words.AddRawString(tmp);
        }
        continue;
      }
      ch = scan_.Next();
      if (ch == o_.escape) {
        if (raw_escapes_) {
          words.AddRawChar(ch);
          AppendRune(result, ch);
        }
        ch = scan_.Next();
        if (ch == kEof) break;
        words.AddRawChar(ch);
      } else {
        words.AddChar(ch);
      }
      AppendRune(result, ch);
    }
    if (stop != kEof) {
      return std::unexpected(
          LexError("unexpected end of statement while looking for matching " + RuneString(stop)));
    }
    return Processed{result, words.Take()};
  }

  bool IsSpecial(char32_t ch) const {
    if (ch == '$' || ch == '<') return true;
    return !o_.skip_process_quotes && (ch == '\'' || ch == '"');
  }

  core::Result<std::string> Special(char32_t ch) {
    switch (ch) {
      case '$':
        return Dollar();
      case '<':
        return PossibleHeredoc();
      case '\'':
        return SingleQuote();
      default:
        return DoubleQuote();
    }
  }

  core::Result<std::string> SingleQuote() {
    std::string result;
    char32_t ch = scan_.Next();
    if (o_.raw_quotes) AppendRune(result, ch);
    while (true) {
      ch = scan_.Next();
      if (ch == kEof) {
        return std::unexpected(
            LexError("unexpected end of statement while looking for matching single-quote"));
      }
      if (ch == '\'') {
        if (o_.raw_quotes) AppendRune(result, ch);
        return result;
      }
      AppendRune(result, ch);
    }
  }

  core::Result<std::string> DoubleQuote() {
    std::string result;
    char32_t ch = scan_.Next();
    if (o_.raw_quotes) AppendRune(result, ch);
    while (true) {
      char32_t peek = scan_.Peek();
      if (peek == kEof) {
        return std::unexpected(
            LexError("unexpected end of statement while looking for matching double-quote"));
      }
      if (peek == '"') {
        ch = scan_.Next();
        if (o_.raw_quotes) AppendRune(result, ch);
        return result;
      }
      if (peek == '$') {
        KILN_ASSIGN(std::string value, Dollar());
        KILN_TRY(Account(value.size()));
        result += value;
        continue;
      }
      ch = scan_.Next();
      if (ch == o_.escape) {
        if (raw_escapes_) AppendRune(result, ch);
        char32_t next = scan_.Peek();
        if (next == kEof) continue;  // the loop then reports the missing quote
        if (next == '"' || next == '$' || next == o_.escape) ch = scan_.Next();
      }
      AppendRune(result, ch);
    }
  }

  core::Result<std::string> PossibleHeredoc() {
    scan_.Next();
    if (scan_.Peek() != '<') return std::string("<");
    scan_.Next();
    std::string result = "<<";
    while (scan_.Peek() == '\t' || scan_.Peek() == '\r' || scan_.Peek() == ' ') {
      AppendRune(result, scan_.Next());
    }
    return result;
  }

  static bool IsSpecialParam(char32_t ch) {
    return ch == '@' || ch == '*' || ch == '#' || ch == '?' || ch == '-' || ch == '$' ||
           ch == '!' || ch == '0';
  }

  std::string Name() {
    std::string name;
    while (scan_.Peek() != kEof) {
      char32_t ch = scan_.Peek();
      if (name.empty() && IsDigit(ch)) {
        while (scan_.Peek() != kEof && IsDigit(scan_.Peek())) AppendRune(name, scan_.Next());
        return name;
      }
      if (name.empty() && IsSpecialParam(ch)) return RuneString(scan_.Next());
      if (!IsLetter(ch) && !IsDigit(ch) && ch != '_') break;
      AppendRune(name, scan_.Next());
    }
    return name;
  }

  std::optional<std::string> GetEnv(const std::string& name) {
    auto v = env_.Get(name);
    (v ? out_.matched : out_.unmatched).insert(name);
    return v;
  }

  core::Result<std::string> Dollar() {
    scan_.Next();
    if (scan_.Peek() != '{') {
      std::string name = Name();
      if (name.empty()) return std::string("$");
      auto value = GetEnv(name);
      if (!value && o_.skip_unset_env) return "$" + name;
      return value.value_or("");
    }
    scan_.Next();
    char32_t peek = scan_.Peek();
    if (peek == kEof) return std::unexpected(LexError("syntax error: missing '}'"));
    if (peek == '{' || peek == '}' || peek == ':') {
      return std::unexpected(LexError("syntax error: bad substitution"));
    }
    std::string name = Name();
    char32_t ch = scan_.Next();
    if (ch == '}') {
      auto value = GetEnv(name);
      if (!value && o_.skip_unset_env) return "${" + name + "}";
      return value.value_or("");
    }
    if (ch == '/') return Replace(name);
    std::string chs = RuneString(ch);
    bool null_is_unset = false;
    if (ch == ':') {
      null_is_unset = true;
      ch = scan_.Next();
      chs += RuneString(ch);
    } else if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
      return std::unexpected(LexError("unsupported modifier (" + chs + ") in substitution"));
    }
    return Modifier(name, ch, chs, null_is_unset);
  }

  core::Result<std::string> Modifier(const std::string& name, char32_t ch, const std::string& chs,
                                     bool null_is_unset) {
    bool raw = ch == '#' || ch == '%';
    if (null_is_unset && raw) {
      return std::unexpected(LexError("unsupported modifier (" + chs + ") in substitution"));
    }
    auto sub = ProcessStopOn('}', raw);
    if (!sub) {
      if (scan_.Peek() == kEof) return std::unexpected(LexError("syntax error: missing '}'"));
      return std::unexpected(sub.error());
    }
    std::string word = std::move(sub->result);
    auto value = GetEnv(name);
    if (o_.skip_unset_env && !value) return "${" + name + chs + word + "}";
    bool empty = !value || (null_is_unset && value->empty());
    switch (ch) {
      case '-':
        return empty ? word : *value;
      case '+':
        return empty ? std::string() : word;
      case '?':
        if (!value) return Required(name, word, "is not allowed to be unset");
        if (null_is_unset && value->empty())
          return Required(name, word, "is not allowed to be empty");
        return *value;
      case '%':
      case '#': {
        bool greedy = !word.empty() && static_cast<char32_t>(word[0]) == ch;
        if (greedy) word.erase(0, 1);
        if (ch == '%') return TrimSuffixPattern(word, value.value_or(""), greedy);
        return TrimPrefixPattern(word, value.value_or(""), greedy);
      }
      default:
        return std::unexpected(LexError("unsupported modifier (" + chs + ") in substitution"));
    }
  }

  static core::Result<std::string> Required(const std::string& name, const std::string& word,
                                            const char* fallback) {
    return std::unexpected(LexError(name + ": " + (word.empty() ? std::string(fallback) : word)));
  }

  core::Result<std::string> Replace(const std::string& name) {
    bool all = scan_.Peek() == '/';
    if (all) scan_.Next();
    auto pattern = ProcessStopOn('/', true);
    if (!pattern) {
      if (scan_.Peek() == kEof)
        return std::unexpected(LexError("syntax error: missing '/' in ${}"));
      return std::unexpected(pattern.error());
    }
    auto replacement = ProcessStopOn('}', true);
    if (!replacement) {
      if (scan_.Peek() == kEof) return std::unexpected(LexError("syntax error: missing '}'"));
      return std::unexpected(replacement.error());
    }
    auto value = GetEnv(name);
    if (o_.skip_unset_env && !value) {
      return "${" + name + "/" + pattern->result + "/" + replacement->result + "}";
    }
    auto replaced =
        ReplacePattern(pattern->result, value.value_or(""), replacement->result, all, Budget());
    if (!replaced && replaced.error().code == core::ErrorCode::kUnsupported)
      return std::unexpected(TooLarge());
    return replaced;
  }

  // Every substitution result counts against kMaxExpansionBytes before it is appended.
  core::Status Account(size_t n) {
    if (n > Budget()) return std::unexpected(TooLarge());
    produced_ += n;
    return {};
  }
  size_t Budget() const { return kMaxExpansionBytes - produced_; }

  const LexOptions& o_;
  const Env& env_;
  size_t produced_ = 0;
  RuneScanner scan_;
  WordResult& out_;
  bool raw_escapes_;
  std::string words_buffer_;
  int depth_ = 0;
};

}  // namespace

core::Result<WordResult> ShellLexer::Process(std::string_view word, const Env& env) const {
  WordResult out;
  ShellWord sw(options_, env, word, out);
  auto r = sw.ProcessStopOn(kEof, options_.raw_escapes);
  if (!r) {
    return std::unexpected(
        LexError("failed to process " + GoQuote(word) + ": " + r.error().message));
  }
  if (r->result.size() > kMaxExpansionBytes) {
    return std::unexpected(
        LexError("failed to process " + GoQuote(word) + ": " + TooLarge().message));
  }
  out.word = std::move(r->result);
  out.words = std::move(r->words);
  return out;
}

core::Result<std::string> ShellLexer::ProcessWord(std::string_view word, const Env& env) const {
  KILN_ASSIGN(WordResult r, Process(word, env));
  return std::move(r.word);
}

core::Result<std::vector<std::string>> ShellLexer::ProcessWords(std::string_view word,
                                                                const Env& env) const {
  KILN_ASSIGN(WordResult r, Process(word, env));
  return std::move(r.words);
}

}  // namespace kiln::parser
