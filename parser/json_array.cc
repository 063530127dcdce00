#include "parser/json_array.h"

#include <optional>

#include "parser/runes.h"

namespace kiln::parser {
namespace {

constexpr size_t kMaxDepth = 10000;  // encoding/json's maxNestingDepth

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A validating scanner over the whole document. Values are checked without recursion: open
// arrays/objects live on `stack_`.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  // Validates the document; fills `elements` with [begin, end) of each top-level array element.
  bool Validate(std::vector<std::pair<size_t, size_t>>& elements) {
    SkipSpace();
    if (!Eat('[')) return false;
    stack_.push_back('[');
    size_t elem_start = 0;
    bool expect_value = true, first = true;
    while (!stack_.empty()) {
      SkipSpace();
      if (pos_ >= s_.size()) return false;
      char c = s_[pos_];
      char top = stack_.back();
      if (expect_value) {
        if (first && ((top == '[' && c == ']') || (top == '{' && c == '}'))) {
          Close(elements, elem_start);
          expect_value = false;
          first = false;
          continue;
        }
        if (top == '{') {  // a key, then ':'
          if (!String()) return false;
          SkipSpace();
          if (!Eat(':')) return false;
          SkipSpace();
          if (pos_ >= s_.size()) return false;
          c = s_[pos_];
        }
        if (stack_.size() == 1) elem_start = pos_;
        if (c == '[' || c == '{') {
          if (stack_.size() >= kMaxDepth) return false;
          stack_.push_back(c);
          ++pos_;
          first = true;
          continue;
        }
        if (!Scalar()) return false;
        if (stack_.size() == 1) elements.emplace_back(elem_start, pos_);
        expect_value = false;
        continue;
      }
      if (c == ',') {
        ++pos_;
        expect_value = true;
        first = false;
        continue;
      }
      if ((top == '[' && c == ']') || (top == '{' && c == '}')) {
        Close(elements, elem_start);
        continue;
      }
      return false;
    }
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  // Consumes the closing bracket; a closed nested value at depth 2 is a whole top-level element.
  void Close(std::vector<std::pair<size_t, size_t>>& elements, size_t elem_start) {
    ++pos_;
    stack_.pop_back();
    if (stack_.size() == 1) elements.emplace_back(elem_start, pos_);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && IsJsonSpace(s_[pos_])) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }
  bool Number() {
    Eat('-');
    if (Eat('0')) {
    } else if (pos_ < s_.size() && s_[pos_] >= '1' && s_[pos_] <= '9') {
      Digits();
    } else {
      return false;
    }
    if (Eat('.') && !Digits()) return false;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!Eat('+')) Eat('-');
      if (!Digits()) return false;
    }
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      if (e == 'u') {
        for (int i = 0; i < 4; ++i) {
          if (pos_ >= s_.size() || HexValue(s_[pos_++]) < 0) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool Scalar() {
    char c = s_[pos_];
    if (c == '"') return String();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::vector<char> stack_;
};

std::optional<char32_t> ReadU4(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return std::nullopt;
  char32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) v = v * 16 + static_cast<char32_t>(HexValue(s[k]));
  return v;
}

// Decodes a validated JSON string literal (with its quotes) like Go's unquote.
std::string DecodeString(std::string_view lit) {
  std::string_view s = lit.substr(1, lit.size() - 2);
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c != '\\') {
      DecodedRune d = DecodeRune(s.substr(i));
      AppendRune(out, d.rune);
      i += d.width;
      continue;
    }
    char e = s[i + 1];
    if (e != 'u') {
      static const std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
      out.push_back(kTo[kFrom.find(e)]);
      i += 2;
      continue;
    }
    char32_t r = *ReadU4(s, i);
    i += 6;
    if (r >= 0xD800 && r < 0xE000) {
      auto low = ReadU4(s, i);
      if (r < 0xDC00 && low && *low >= 0xDC00 && *low < 0xE000) {
        r = 0x10000 + ((r - 0xD800) << 10) + (*low - 0xDC00);
        i += 6;
      } else {
        r = kRuneError;
      }
    }
    AppendRune(out, r);
  }
  return out;
}

}  // namespace

JsonArray ParseJsonStringArray(std::string_view text) {
  JsonArray result;
  text = TrimLeftSpace(text);
  if (text.empty() || text[0] != '[') return result;
  std::vector<std::pair<size_t, size_t>> elements;
  if (!Scanner(text).Validate(elements)) return result;
  for (const auto& [begin, end] : elements) {
    if (text[begin] != '"') {
      result.status = JsonArrayStatus::kNotStrings;
      result.items.clear();
      return result;
    }
    result.items.push_back(DecodeString(text.substr(begin, end - begin)));
  }
  result.status = JsonArrayStatus::kOk;
  return result;
}

}  // namespace kiln::parser
