#include "registry/challenge.h"

#include "registry/http.h"

namespace kiln::registry {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void SkipSpaces(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string ReadToken(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}

std::string ReadQuoted(std::string_view s, size_t& i) {
  std::string out;
  for (++i; i < s.size() && s[i] != '"'; ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  if (i < s.size()) ++i;  // closing quote
  return out;
}

// Parses "scheme k=v, k2="v2", scheme2 ..." appending to `out`.
void ParseOne(std::string_view s, std::vector<Challenge>& out) {
  size_t i = 0;
  while (i < s.size()) {
    SkipSpaces(s, i);
    while (i < s.size() && s[i] == ',') ++i, SkipSpaces(s, i);
    std::string word = ReadToken(s, i);
    if (word.empty()) {
      ++i;
      continue;
    }
    SkipSpaces(s, i);
    if (i < s.size() && s[i] == '=' && !out.empty()) {  // a parameter of the current challenge
      ++i;
      SkipSpaces(s, i);
      std::string value = i < s.size() && s[i] == '"' ? ReadQuoted(s, i) : ReadToken(s, i);
      out.back().params[AsciiLower(word)] = value;
      continue;
    }
    out.push_back(Challenge{AsciiLower(word), {}});  // a new scheme
  }
}

}  // namespace

std::string Challenge::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> ParseChallenges(const std::vector<std::string>& values) {
  std::vector<Challenge> out;
  for (const auto& v : values) ParseOne(v, out);
  return out;
}

}  // namespace kiln::registry
