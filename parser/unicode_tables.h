// Code point range tables behind the Go-compatible rune classes in runes.h (generated data).
#pragma once

#include <cstddef>

namespace kiln::parser::unicode_tables {

struct RuneRange {
  char32_t lo, hi;
};
struct RuneMapping {
  char32_t from, to;
};

extern const RuneRange kLetter[];  // Unicode category L
extern const size_t kLetterSize;
extern const RuneRange kDigit[];  // category Nd
extern const size_t kDigitSize;
extern const RuneRange kPrint[];  // categories L, M, N, P, S
extern const size_t kPrintSize;
extern const RuneMapping kLower[];  // simple lower-case mapping, sorted by `from`
extern const size_t kLowerSize;
extern const RuneMapping kUpper[];  // simple upper-case mapping, sorted by `from`
extern const size_t kUpperSize;

}  // namespace kiln::parser::unicode_tables
