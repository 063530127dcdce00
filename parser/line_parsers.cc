#include "parser/line_parsers.h"

#include "parser/json_array.h"
#include "parser/quote.h"
#include "parser/runes.h"

namespace kiln::parser::detail {
namespace {

constexpr int kMaxOnbuildNesting = 64;

bool IsWs(char c) { return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' '; }

core::Error ParseError(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}

// extractBuilderFlags: reads leading `--flag` words byte by byte (as BuildKit does, so bytes
// >= 0x80 are taken as Latin-1 characters). Returns the remaining text.
std::string_view ExtractFlags(std::string_view line, char escape, std::vector<std::string>& flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  unsigned char quote = 0;
  bool blank_ok = false;
  unsigned char ch = 0;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    if (pos != line.size()) ch = static_cast<unsigned char>(line[pos]);
    if (phase == kSpaces) {
      if (pos == line.size()) break;
      if (IsSpace(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
      phase = kWord;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags.push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsSpace(ch)) {
        phase = kSpaces;
        if (word == "--") return line.substr(pos);
        if (blank_ok || !word.empty()) flags.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
    } else if (ch == quote) {
      phase = kWord;
      continue;
    }
    if (ch == static_cast<unsigned char>(escape)) {
      if (pos + 1 == line.size()) {
        if (phase == kQuote) phase = kWord;
        continue;
      }
      ch = static_cast<unsigned char>(line[++pos]);
    }
    AppendRune(word, ch);
  }
  return {};
}

JsonArray ParseJson(std::string_view rest) { return ParseJsonStringArray(rest); }

core::Status MaybeJson(std::string_view rest, bool to_list, Node& node) {
  if (rest.empty() && !to_list) return {};
  JsonArray json = ParseJson(rest);
  if (json.status == JsonArrayStatus::kOk) {
    node.args = std::move(json.items);
    node.json = true;
    return {};
  }
  if (json.status == JsonArrayStatus::kNotStrings) {
    return std::unexpected(
        ParseError("when using JSON array syntax, arrays must be comprised of strings only"));
  }
  if (to_list) {
    if (rest.empty()) return {};
    for (std::string_view part : SplitWhitespace(rest, -1)) node.args.emplace_back(part);
  } else {
    node.args.emplace_back(rest);
  }
  return {};
}

core::Status NameVal(std::string_view rest, std::string_view key, char escape, Node& node) {
  std::vector<std::string> words = ParseWords(rest, escape);
  if (words.empty()) return {};
  if (words[0].find('=') == std::string::npos) {
    auto parts = SplitWhitespace(rest, 2);
    if (parts.size() < 2) {
      return std::unexpected(ParseError(std::string(key) + " must have two arguments"));
    }
    node.args = {std::string(parts[0]), std::string(parts[1]), ""};
    return {};
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return std::unexpected(ParseError("Syntax error - can't find = in " + GoQuote(word) +
                                        ". Must be of the form: name=value"));
    }
    node.args.push_back(word.substr(0, eq));
    node.args.push_back(word.substr(eq + 1));
    node.args.push_back("=");
  }
  return {};
}

core::Status HealthConfig(std::string_view rest, Node& node) {
  size_t sep = 0;
  while (sep < rest.size() && !IsSpace(static_cast<unsigned char>(rest[sep]))) ++sep;
  size_t next = sep;
  while (next < rest.size() && IsSpace(static_cast<unsigned char>(rest[next]))) ++next;
  if (sep == 0) return {};
  Node cmd;
  KILN_TRY(MaybeJson(rest.substr(next), false, cmd));
  node.args.emplace_back(rest.substr(0, sep));
  for (auto& a : cmd.args) node.args.push_back(std::move(a));
  node.json = cmd.json;
  return {};
}

core::Result<Node> FromLine(std::string_view line, char escape, int depth);

core::Status Arguments(const std::string& cmd, std::string_view rest, char escape, int depth,
                       Node& node) {
  if (cmd == "add" || cmd == "copy" || cmd == "volume") return MaybeJson(rest, true, node);
  if (cmd == "cmd" || cmd == "entrypoint" || cmd == "run" || cmd == "shell") {
    return MaybeJson(rest, false, node);
  }
  if (cmd == "env") return NameVal(rest, "ENV", escape, node);
  if (cmd == "label") return NameVal(rest, "LABEL", escape, node);
  if (cmd == "arg") {
    node.args = ParseWords(rest, escape);
    return {};
  }
  if (cmd == "expose" || cmd == "from") {
    if (!rest.empty()) {
      for (std::string_view part : SplitWhitespace(rest, -1)) node.args.emplace_back(part);
    }
    return {};
  }
  if (cmd == "maintainer" || cmd == "stopsignal" || cmd == "user" || cmd == "workdir") {
    if (!rest.empty()) node.args.emplace_back(rest);
    return {};
  }
  if (cmd == "healthcheck") return HealthConfig(rest, node);
  if (cmd == "onbuild") {
    if (rest.empty()) return {};
    if (depth >= kMaxOnbuildNesting)
      return std::unexpected(ParseError("ONBUILD nested too deeply"));
    KILN_ASSIGN(Node sub, FromLine(rest, escape, depth + 1));
    node.sub = std::make_unique<Node>(std::move(sub));
    return {};
  }
  node.args.emplace_back();  // unknown instruction: BuildKit keeps one empty argument
  return {};
}

core::Result<Node> FromLine(std::string_view line, char escape, int depth) {
  Node node;
  node.original = std::string(line);
  auto parts = SplitWhitespace(TrimSpace(line), 2);
  node.value = std::string(parts.empty() ? std::string_view() : parts[0]);
  std::string_view rest;
  if (parts.size() == 2) rest = TrimSpace(ExtractFlags(parts[1], escape, node.flags));
  KILN_TRY(Arguments(GoToLower(node.value), rest, escape, depth, node));
  return node;
}

}  // namespace

std::vector<std::string_view> SplitWhitespace(std::string_view s, int n) {
  std::vector<std::string_view> out;
  if (s.empty()) return {s};
  size_t beg = 0, pos = 0;
  while (pos < s.size()) {
    if (n > 0 && static_cast<int>(out.size()) == n - 1) break;
    if (!IsWs(s[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (pos < s.size() && IsWs(s[pos])) ++pos;
    if (pos != 0) out.push_back(s.substr(beg, end - beg));
    beg = pos;
  }
  out.push_back(s.substr(beg));
  return out;
}

std::vector<std::string> ParseWords(std::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0, ch = 0;
  bool blank_ok = false;
  size_t width = 0;
  for (size_t pos = 0; pos <= rest.size(); pos += width) {
    if (pos != rest.size()) {
      DecodedRune d = DecodeRune(rest.substr(pos));
      ch = d.rune, width = d.width;
    }
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      if (IsSpace(ch)) continue;
      phase = kWord;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsSpace(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
      }
      if (ch == static_cast<char32_t>(escape)) {
        if (pos + width == rest.size()) continue;  // an escape at the very end is dropped
        AppendRune(word, ch);
        pos += width;
        DecodedRune d = DecodeRune(rest.substr(pos));
        ch = d.rune, width = d.width;
      }
      AppendRune(word, ch);
      continue;
    }
    if (ch == quote) phase = kWord;
    if (ch == static_cast<char32_t>(escape) && quote != '\'') {
      if (pos + width == rest.size()) {
        phase = kWord;
        continue;
      }
      pos += width;
      AppendRune(word, ch);
      DecodedRune d = DecodeRune(rest.substr(pos));
      ch = d.rune, width = d.width;
    }
    AppendRune(word, ch);
  }
  return words;
}

core::Result<Node> NodeFromLine(std::string_view line, char escape) {
  return FromLine(line, escape, 0);
}

}  // namespace kiln::parser::detail
