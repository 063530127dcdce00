#include "parser/ignore_pattern.h"

#include <algorithm>

#include "parser/rune_scanner.h"

namespace kiln::parser {
namespace {

bool ShouldEscape(char32_t c) {
  return c < 0x80 &&
         std::string_view(".+()|{}$").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string Utf8(char32_t r) {
  std::string s;
  AppendRune(s, r == RuneScanner::kEof ? kRuneError : r);
  return s;
}

// getEsc of Go's filepath.Match: one (possibly escaped) class character.
bool ClassChar(std::string_view& chunk) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return false;
  }
  DecodedRune d = DecodeRune(chunk);
  if (d.rune == kRuneError && d.width == 1) return false;
  chunk.remove_prefix(d.width);
  return !chunk.empty();
}

// matchChunk's syntax checks.
bool ValidChunk(std::string_view chunk) {
  while (!chunk.empty()) {
    switch (chunk[0]) {
      case '[': {
        chunk.remove_prefix(1);
        if (!chunk.empty() && chunk[0] == '^') chunk.remove_prefix(1);
        for (int n = 0;; ++n) {
          if (!chunk.empty() && chunk[0] == ']' && n > 0) {
            chunk.remove_prefix(1);
            break;
          }
          if (!ClassChar(chunk)) return false;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            if (!ClassChar(chunk)) return false;
          }
        }
        break;
      }
      case '\\':
        chunk.remove_prefix(1);
        if (chunk.empty()) return false;
        chunk.remove_prefix(1);
        break;
      default:
        chunk.remove_prefix(1);
    }
  }
  return true;
}

}  // namespace

bool IsValidGlob(std::string_view pattern) {
  while (!pattern.empty()) {
    while (!pattern.empty() && pattern[0] == '*') pattern.remove_prefix(1);
    bool in_range = false;
    size_t i = 0;
    for (; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\') {
        if (i + 1 < pattern.size()) ++i;
      } else if (c == '[') {
        in_range = true;
      } else if (c == ']') {
        in_range = false;
      } else if (c == '*' && !in_range) {
        break;
      }
    }
    if (!ValidChunk(pattern.substr(0, i))) return false;
    pattern.remove_prefix(i);
  }
  return true;
}

CompiledGlob CompileGlob(std::string_view pattern, char sep) {
  const std::string sl(1, sep);
  const std::string esc_sl = sep == '\\' ? "\\\\" : sl;
  std::string re = "^";
  IgnoreMatchType type = IgnoreMatchType::kExact;
  RuneScanner scan(pattern);
  for (int i = 0; scan.Peek() != RuneScanner::kEof; ++i) {
    char32_t ch = scan.Next();
    if (ch == '*') {
      if (scan.Peek() == '*') {
        scan.Next();
        if (Utf8(scan.Peek()) == sl) scan.Next();  // "**/" is "**"
        if (scan.Peek() == RuneScanner::kEof) {
          if (type == IgnoreMatchType::kExact) {
            type = IgnoreMatchType::kPrefix;
          } else {
            re += ".*";
            type = IgnoreMatchType::kRegexp;
          }
        } else {
          re += "(.*" + esc_sl + ")?";
          type = IgnoreMatchType::kRegexp;
        }
        if (i == 0) type = IgnoreMatchType::kSuffix;
      } else {
        re += "[^" + esc_sl + "]*";
        type = IgnoreMatchType::kRegexp;
      }
    } else if (ch == '?') {
      re += "[^" + esc_sl + "]";
      type = IgnoreMatchType::kRegexp;
    } else if (ShouldEscape(ch)) {
      re += "\\" + Utf8(ch);
    } else if (ch == '\\') {
      if (sep == '\\') {
        re += esc_sl;
        continue;
      }
      if (scan.Peek() != RuneScanner::kEof) {
        re += "\\" + Utf8(scan.Next());
        type = IgnoreMatchType::kRegexp;
      } else {
        re += "\\";
      }
    } else if (ch == '[' || ch == ']') {
      re += Utf8(ch);
      type = IgnoreMatchType::kRegexp;
    } else {
      re += Utf8(ch);
    }
  }
  if (type != IgnoreMatchType::kRegexp) return {type, ""};
  return {type, re + "$"};
}

IgnorePattern::IgnorePattern(std::string cleaned, bool exclusion)
    : cleaned_(std::move(cleaned)), exclusion_(exclusion) {
  depth_ = static_cast<size_t>(std::count(cleaned_.begin(), cleaned_.end(), '/')) + 1;
  compiled_ = CompileGlob(cleaned_);
  if (compiled_.type == IgnoreMatchType::kRegexp) {
    if (auto re = GlobRegexp::Compile(compiled_.regexp)) regexp_ = std::move(*re);
  }
}

core::Result<bool> IgnorePattern::Match(std::string_view path) const {
  switch (compiled_.type) {
    case IgnoreMatchType::kExact:
      return path == cleaned_;
    case IgnoreMatchType::kPrefix:
      return path.starts_with(std::string_view(cleaned_).substr(0, cleaned_.size() - 2));
    case IgnoreMatchType::kSuffix: {
      std::string_view suffix = std::string_view(cleaned_).substr(2);
      if (path.ends_with(suffix)) return true;
      return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);
    }
    case IgnoreMatchType::kRegexp:
      if (!regexp_) return core::Fail(core::ErrorCode::kInvalidInput, "syntax error in pattern");
      return regexp_->Match(path);
  }
  return false;
}

}  // namespace kiln::parser
