// A rune reader with the exact behaviour of Go's text/scanner Peek/Next, which BuildKit's shell
// lexer is built on: a leading BOM is skipped, an invalid UTF-8 byte reads as U+FFFD.
#pragma once

#include <string_view>

#include "parser/runes.h"

namespace kiln::parser {

class RuneScanner {
 public:
  static constexpr char32_t kEof = static_cast<char32_t>(-1);

  explicit RuneScanner(std::string_view s) : s_(s) {
    Advance();
    if (ch_ == 0xFEFF) Advance();
  }
  char32_t Peek() const { return ch_; }
  char32_t Next() {
    char32_t ch = ch_;
    if (ch != kEof) Advance();
    return ch;
  }

 private:
  void Advance() {
    if (pos_ >= s_.size()) {
      ch_ = kEof;
      return;
    }
    DecodedRune d = DecodeRune(s_.substr(pos_));
    ch_ = d.rune;
    pos_ += d.width;
  }

  std::string_view s_;
  size_t pos_ = 0;
  char32_t ch_ = kEof;
};

}  // namespace kiln::parser
