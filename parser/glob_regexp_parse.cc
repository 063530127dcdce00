// Compiles the RE2 syntax subset of glob_regexp.h into an NFA program (Go's regexp/syntax
// rules for escapes, classes and repetition, with its Perl flags).
#include <algorithm>

#include "parser/glob_regexp_program.h"
#include "parser/runes.h"

namespace kiln::parser::detail {

namespace {

using Inst = RegexInst;

Inst Op(Inst::Op op, Ranges ranges = {}, int x = -1, int y = -1) {
  Inst in;
  in.op = op;
  in.ranges = std::move(ranges);
  in.x = x;
  in.y = y;
  return in;
}
constexpr char32_t kMaxRune = 0x10FFFF;
constexpr int kMaxDepth = 1000;

core::Error RegexError(std::string what, std::string_view arg) {
  return core::Error{core::ErrorCode::kInvalidInput,
                     "error parsing regexp: " + what + ": `" + std::string(arg) + "`",
                     std::nullopt};
}

Ranges Normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  return out;
}

Ranges Complement(const Ranges& in) {
  Ranges r = Normalize(in), out;
  char32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxRune) out.emplace_back(next, kMaxRune);
  return out;
}

// Perl (\d \s \w) and POSIX ([:name:]) classes, ASCII as in RE2.
bool NamedClass(std::string_view name, Ranges& out) {
  static const std::pair<std::string_view, Ranges> kClasses[] = {
      {"d", {{'0', '9'}}},
      {"s", {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}},
      {"w", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
      {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {"ascii", {{0, 0x7F}}},
      {"blank", {{'\t', '\t'}, {' ', ' '}}},
      {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {"digit", {{'0', '9'}}},
      {"graph", {{'!', '~'}}},
      {"lower", {{'a', 'z'}}},
      {"print", {{' ', '~'}}},
      {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {"space", {{'\t', '\r'}, {' ', ' '}}},
      {"upper", {{'A', 'Z'}}},
      {"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
      {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  for (const auto& [n, r] : kClasses) {
    if (n == name) {
      out.insert(out.end(), r.begin(), r.end());
      return true;
    }
  }
  return false;
}

int HexDigit(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view expr) : expr_(expr) {}

  core::Result<int> Parse(std::vector<Inst>& prog) {
    prog_ = &prog;
    if (ToValidUtf8(expr_) != expr_) return std::unexpected(RegexError("invalid UTF-8", expr_));
    KILN_ASSIGN(Frag f, Alternation(0));
    if (!AtEnd()) return std::unexpected(RegexError("unexpected )", expr_));
    int match = Emit(Op(Inst::kMatch));
    Patch(f, match);
    return f.start;
  }

 private:
  // A compiled piece: its entry and the dangling exits (instruction, its y field?) to patch.
  struct Frag {
    int start;
    std::vector<std::pair<int, bool>> holes;
  };

  bool AtEnd() const { return pos_ >= expr_.size(); }
  char32_t Peek() const { return DecodeRune(expr_.substr(pos_)).rune; }
  char32_t Next() {
    DecodedRune d = DecodeRune(expr_.substr(pos_));
    pos_ += d.width;
    return d.rune;
  }
  int Emit(Inst inst) {
    prog_->push_back(std::move(inst));
    return static_cast<int>(prog_->size()) - 1;
  }
  void Patch(const Frag& f, int to) {
    for (const auto& [i, is_y] : f.holes) ((*prog_)[i].*(is_y ? &Inst::y : &Inst::x)) = to;
  }
  Frag Single(Inst inst) {
    int i = Emit(std::move(inst));
    return {i, {{i, false}}};
  }
  Frag Empty() { return Single(Op(Inst::kJmp)); }

  core::Result<Frag> Alternation(int depth) {
    if (depth > kMaxDepth) return std::unexpected(RegexError("expression nests too deeply", expr_));
    KILN_ASSIGN(Frag left, Concat(depth));
    while (!AtEnd() && Peek() == '|') {
      Next();
      KILN_ASSIGN(Frag right, Concat(depth));
      int split = Emit(Op(Inst::kSplit, {}, left.start, right.start));
      Frag f{split, left.holes};
      f.holes.insert(f.holes.end(), right.holes.begin(), right.holes.end());
      left = std::move(f);
    }
    return left;
  }

  core::Result<Frag> Concat(int depth) {
    Frag result = Empty();
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      KILN_ASSIGN(Frag next, Repeat(depth));
      Patch(result, next.start);
      result.holes = std::move(next.holes);
    }
    return result;
  }

  core::Result<Frag> Repeat(int depth) {
    size_t atom_pos = pos_;
    char32_t c = Peek();
    if (c == '*' || c == '+' || c == '?') {
      return std::unexpected(
          RegexError("missing argument to repetition operator", expr_.substr(pos_, 1)));
    }
    KILN_ASSIGN(Frag atom, Atom(depth));
    bool repeated = false;
    while (!AtEnd() && (Peek() == '*' || Peek() == '+' || Peek() == '?')) {
      char32_t op = Next();
      if (!AtEnd() && Peek() == '?') Next();  // lazy: same language
      if (repeated) {
        return std::unexpected(RegexError("invalid nested repetition operator",
                                          expr_.substr(atom_pos, pos_ - atom_pos)));
      }
      repeated = true;
      int split = Emit(Op(Inst::kSplit, {}, atom.start, -1));
      if (op == '*') {
        Patch(atom, split);
        atom = {split, {{split, true}}};
      } else if (op == '+') {
        Patch(atom, split);
        atom = {atom.start, {{split, true}}};
      } else {
        Frag f{split, atom.holes};
        f.holes.emplace_back(split, true);
        atom = std::move(f);
      }
    }
    return atom;
  }

  core::Result<Frag> Atom(int depth) {
    char32_t c = Next();
    switch (c) {
      case '(': {
        if (!AtEnd() && Peek() == '?') {
          return std::unexpected(RegexError("unsupported group flags", expr_));
        }
        KILN_ASSIGN(Frag inner, Alternation(depth + 1));
        if (AtEnd() || Next() != ')')
          return std::unexpected(RegexError("missing closing )", expr_));
        return inner;
      }
      case '[':
        return Class();
      case '.':
        return Single(Op(Inst::kAnyNotNl));
      case '^':
        return Single(Op(Inst::kBeginText));
      case '$':
        return Single(Op(Inst::kEndText));
      case '\\':
        return Escape();
      default:
        return Single(Op(Inst::kClass, {{c, c}}));
    }
  }

  core::Result<Frag> Escape() {
    if (AtEnd()) return std::unexpected(RegexError("trailing backslash at end of expression", ""));
    char32_t c = Peek();
    switch (c) {
      case 'A':
        Next();
        return Single(Op(Inst::kBeginText));
      case 'z':
        Next();
        return Single(Op(Inst::kEndText));
      case 'b':
        Next();
        return Single(Op(Inst::kWordB));
      case 'B':
        Next();
        return Single(Op(Inst::kNotWordB));
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W': {
        Next();
        Ranges r;
        NamedClass(std::string(1, static_cast<char>(c | 0x20)), r);
        return Single(Op(Inst::kClass, (c & 0x20) ? Normalize(r) : Complement(r)));
      }
      case 'Q': {
        Next();
        Frag result = Empty();
        while (!AtEnd()) {
          if (expr_.substr(pos_, 2) == "\\E") {
            pos_ += 2;
            break;
          }
          char32_t lit = Next();
          Frag f = Single(Op(Inst::kClass, {{lit, lit}}));
          Patch(result, f.start);
          result.holes = std::move(f.holes);
        }
        return result;
      }
      default:
        break;
    }
    KILN_ASSIGN(char32_t r, EscapedRune());
    return Single(Op(Inst::kClass, {{r, r}}));
  }

  // Go's parseEscape, after the backslash.
  core::Result<char32_t> EscapedRune() {
    size_t start = pos_ - 1;
    char32_t c = Next();
    auto invalid = [&] {
      return std::unexpected(
          RegexError("invalid escape sequence", expr_.substr(start, pos_ - start)));
    };
    if (c < 0x80 && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9')) return c;
    if ((c >= '1' && c <= '7') && (AtEnd() || Peek() < '0' || Peek() > '7')) return invalid();
    if (c >= '0' && c <= '7') {
      char32_t r = c - '0';
      for (int i = 1; i < 3 && !AtEnd() && Peek() >= '0' && Peek() <= '7'; ++i)
        r = r * 8 + (Next() - '0');
      return r;
    }
    if (c == 'x') {
      if (AtEnd()) return invalid();
      if (Peek() == '{') {
        Next();
        char32_t r = 0;
        int digits = 0;
        while (!AtEnd() && HexDigit(Peek()) >= 0) {
          r = r * 16 + static_cast<char32_t>(HexDigit(Next()));
          if (r > kMaxRune) return invalid();
          ++digits;
        }
        if (digits == 0 || AtEnd() || Next() != '}') return invalid();
        return r;
      }
      int hi = HexDigit(Next());
      if (hi < 0 || AtEnd()) return invalid();
      int lo = HexDigit(Next());
      if (lo < 0) return invalid();
      return static_cast<char32_t>(hi * 16 + lo);
    }
    switch (c) {
      case 'a':
        return U'\a';
      case 'f':
        return U'\f';
      case 'n':
        return U'\n';
      case 'r':
        return U'\r';
      case 't':
        return U'\t';
      case 'v':
        return U'\v';
      default:
        return invalid();
    }
  }

  core::Result<Frag> Class() {
    size_t start = pos_ - 1;
    bool negate = !AtEnd() && Peek() == '^';
    if (negate) Next();
    Ranges ranges;
    bool first = true;
    while (AtEnd() || Peek() != ']' || first) {
      if (AtEnd()) return std::unexpected(RegexError("missing closing ]", expr_.substr(start)));
      first = false;
      if (expr_.substr(pos_, 2) == "[:") {
        size_t close = expr_.find(":]", pos_ + 2);
        if (close != std::string_view::npos) {
          std::string_view name = expr_.substr(pos_ + 2, close - pos_ - 2);
          bool neg = name.starts_with('^');
          if (neg) name.remove_prefix(1);
          Ranges r;
          if (!NamedClass(name.size() > 1 ? name : std::string_view("?"), r)) {
            return std::unexpected(
                RegexError("invalid character class range", expr_.substr(pos_, close + 2 - pos_)));
          }
          pos_ = close + 2;
          Ranges add = neg ? Complement(r) : r;
          ranges.insert(ranges.end(), add.begin(), add.end());
          continue;
        }
      }
      if (expr_.substr(pos_, 1) == "\\" && pos_ + 1 < expr_.size() &&
          std::string_view("dDsSwW").find(expr_[pos_ + 1]) != std::string_view::npos) {
        char k = expr_[pos_ + 1];
        pos_ += 2;
        Ranges r;
        NamedClass(std::string(1, static_cast<char>(k | 0x20)), r);
        Ranges add = (k & 0x20) ? r : Complement(r);
        ranges.insert(ranges.end(), add.begin(), add.end());
        continue;
      }
      size_t range_start = pos_;
      KILN_ASSIGN(char32_t lo, ClassChar());
      char32_t hi = lo;
      if (pos_ + 1 < expr_.size() && expr_[pos_] == '-' && expr_[pos_ + 1] != ']') {
        Next();
        KILN_ASSIGN(hi, ClassChar());
        if (hi < lo) {
          return std::unexpected(RegexError("invalid character class range",
                                            expr_.substr(range_start, pos_ - range_start)));
        }
      }
      ranges.emplace_back(lo, hi);
    }
    Next();  // ']'
    return Single(Op(Inst::kClass, negate ? Complement(ranges) : Normalize(ranges)));
  }

  core::Result<char32_t> ClassChar() {
    if (AtEnd()) return std::unexpected(RegexError("missing closing ]", expr_));
    if (Peek() == '\\') {
      Next();
      if (AtEnd())
        return std::unexpected(RegexError("trailing backslash at end of expression", ""));
      return EscapedRune();
    }
    return Next();
  }

  std::string_view expr_;
  size_t pos_ = 0;
  std::vector<Inst>* prog_ = nullptr;
};

}  // namespace

bool InRanges(const Ranges& r, char32_t c) {
  auto it = std::upper_bound(r.begin(), r.end(), c,
                             [](char32_t v, const auto& p) { return v < p.first; });
  return it != r.begin() && c <= (it - 1)->second;
}

core::Result<int> CompileRegexProgram(std::string_view expr, std::vector<RegexInst>& prog) {
  return Parser(expr).Parse(prog);
}

}  // namespace kiln::parser::detail
