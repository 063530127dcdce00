#include "parser/glob_regexp.h"

#include "parser/glob_regexp_program.h"
#include "parser/runes.h"

namespace kiln::parser {
namespace {

using detail::RegexInst;

bool IsWordChar(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Whether every thread from `start` must pass a ^ (kBeginText) before it consumes a character
// or matches: then no match can start after position 0.
bool Anchored(const std::vector<RegexInst>& prog, int start) {
  std::vector<int> stack{start};
  std::vector<bool> seen(prog.size(), false);
  while (!stack.empty()) {
    int p = stack.back();
    stack.pop_back();
    if (p < 0 || seen[p]) continue;
    seen[p] = true;
    const RegexInst& in = prog[p];
    switch (in.op) {
      case RegexInst::kBeginText: break;
      case RegexInst::kSplit: stack.push_back(in.y); [[fallthrough]];
      case RegexInst::kJmp:
      case RegexInst::kEndText:
      case RegexInst::kWordB:
      case RegexInst::kNotWordB: stack.push_back(in.x); break;
      default: return false;
    }
  }
  return true;
}

}  // namespace

core::Result<GlobRegexp> GlobRegexp::Compile(std::string_view expr) {
  auto prog = std::make_shared<std::vector<RegexInst>>();
  KILN_ASSIGN(int start, detail::CompileRegexProgram(expr, *prog));
  GlobRegexp re;
  re.prog_ = std::move(prog);
  re.start_ = start;
  return re;
}

bool GlobRegexp::Match(std::string_view text) const {
  const std::vector<RegexInst>& prog = *prog_;
  std::vector<int> clist, nlist, stack;
  std::vector<size_t> mark(prog.size(), 0);
  size_t gen = 1;  // one generation per text position: mark[pc] == gen means "listed"
  // .dockerignore patterns are anchored: once no thread is alive, none can start later (this
  // ends most non-matching paths after a few characters instead of at their end).
  const bool anchored = Anchored(prog, start_);
  char32_t prev = 0;
  bool has_prev = false;
  // Adds pc, following jumps, splits and assertions that hold between `prev` and `next`.
  auto add = [&](std::vector<int>& list, int pc, char32_t next, bool has_next) {
    const bool boundary = (has_prev && IsWordChar(prev)) != (has_next && IsWordChar(next));
    stack.assign(1, pc);
    while (!stack.empty()) {
      int p = stack.back();
      stack.pop_back();
      if (p < 0 || mark[p] == gen) continue;
      mark[p] = gen;
      const RegexInst& in = prog[p];
      switch (in.op) {
        case RegexInst::kMatch:
          return true;
        case RegexInst::kJmp:
          stack.push_back(in.x);
          break;
        case RegexInst::kSplit:
          stack.push_back(in.y);
          stack.push_back(in.x);
          break;
        case RegexInst::kBeginText:
          if (!has_prev) stack.push_back(in.x);
          break;
        case RegexInst::kEndText:
          if (!has_next) stack.push_back(in.x);
          break;
        case RegexInst::kWordB:
          if (boundary) stack.push_back(in.x);
          break;
        case RegexInst::kNotWordB:
          if (!boundary) stack.push_back(in.x);
          break;
        default:
          list.push_back(p);
          break;
      }
    }
    return false;
  };
  for (size_t pos = 0;;) {
    const bool has_next = pos < text.size();
    const DecodedRune d = DecodeRune(text.substr(pos));
    if (add(clist, start_, d.rune, has_next)) return true;  // a match may start anywhere
    if (!has_next) return false;
    ++gen;
    nlist.clear();
    prev = d.rune;
    has_prev = true;
    const size_t after = pos + d.width;
    const DecodedRune nd = DecodeRune(text.substr(after));
    for (int pc : clist) {
      const RegexInst& in = prog[pc];
      bool ok =
          in.op == RegexInst::kAnyNotNl ? d.rune != '\n' : detail::InRanges(in.ranges, d.rune);
      if (ok && add(nlist, in.x, nd.rune, after < text.size())) return true;
    }
    std::swap(clist, nlist);
    pos = after;
    if (anchored && clist.empty()) return false;
  }
}

}  // namespace kiln::parser
