// UTF-8 decoding and rune classes with Go's exact semantics. BuildKit is written in Go, and its
// answers (word splitting, variable names, the quoted AST dump) depend on how Go decodes bytes
// (an invalid byte is U+FFFD of width 1) and on unicode.IsSpace/IsLetter/IsDigit/IsPrint.
#pragma once

#include <string>
#include <string_view>

namespace kiln::parser {

inline constexpr char32_t kRuneError = 0xFFFD;

struct DecodedRune {
  char32_t rune;
  size_t width;  // bytes consumed; 1 for an invalid byte, 0 only for empty input
};

// Decodes the first rune of `s` like Go's utf8.DecodeRuneInString: invalid, overlong or
// surrogate encodings give {U+FFFD, 1}; empty input gives {U+FFFD, 0}.
DecodedRune DecodeRune(std::string_view s);
// Appends the UTF-8 encoding of `r`; invalid runes (surrogates, > U+10FFFF) append U+FFFD.
void AppendRune(std::string& out, char32_t r);
// The runes of `s` as Go's []rune(s) gives them (invalid bytes become U+FFFD).
std::u32string DecodeRunes(std::string_view s);
// Replaces every invalid byte sequence of `s` by U+FFFD, as a Go rune loop would.
std::string ToValidUtf8(std::string_view s);

// Go's unicode.IsSpace: \t \n \v \f \r, space, U+0085, U+00A0 and the Unicode White_Space set.
bool IsSpace(char32_t r);
bool IsLetter(char32_t r);  // unicode.IsLetter (category L)
bool IsDigit(char32_t r);   // unicode.IsDigit (category Nd)
bool IsPrint(char32_t r);   // strconv.IsPrint (L, M, N, P, S and ASCII space)

// strings.TrimSpace / TrimLeftFunc(IsSpace) / TrimRightFunc(IsSpace) with Go's rune decoding.
std::string_view TrimSpace(std::string_view s);
std::string_view TrimLeftSpace(std::string_view s);
std::string_view TrimRightSpace(std::string_view s);

// Go's strings.ToLower: Unicode simple lower-case mapping; invalid UTF-8 becomes U+FFFD
// (unless the input is pure ASCII).
std::string GoToLower(std::string_view s);
// Go's strings.ToUpper, the same way (é -> É; ß stays, as in Go's simple mapping).
std::string GoToUpper(std::string_view s);

// ASCII-only case mapping (instruction keywords, flag names, env names for Windows targets).
std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
bool AsciiEqualFold(std::string_view a, std::string_view b);

}  // namespace kiln::parser
