// ParseAst: BuildKit's parser.Parse loop (line scanning, directives, continuations, comments,
// heredoc bodies) over an in-memory text.
#include <algorithm>

#include "parser/ast.h"
#include "parser/directive_parser.h"
#include "parser/heredoc.h"
#include "parser/line_parsers.h"
#include "parser/runes.h"

namespace kiln::parser {
namespace {

// Lines with their '\n' kept (Go's scanLines variant in BuildKit). A line longer than
// kMaxLineBytes ends the input there, as BuildKit's scanner stops; too_long() then has its line.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool Next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    size_t nl = text_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? text_.size() : nl + 1;
    if ((nl == std::string_view::npos ? end : nl) - pos_ > kMaxLineBytes) {
      too_long_ = lines_ + 1;
      pos_ = text_.size();
      return false;
    }
    line = text_.substr(pos_, end - pos_);
    pos_ = end;
    ++lines_;
    return true;
  }
  int too_long() const { return too_long_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int lines_ = 0;
  int too_long_ = 0;
};

std::string_view TrimNewline(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool IsComment(std::string_view line) {
  line = TrimLeftSpace(line);
  return !line.empty() && line[0] == '#';
}

// The escape character as the last non-blank character continues the line, unless it is
// itself escaped. Returns the line without it, and whether the logical line ends here.
std::pair<std::string_view, bool> TrimContinuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return {line, true};
  size_t k = end - 1;
  if (k > 0 && line[k - 1] == escape) return {line, true};
  return {line.substr(0, k), false};
}

core::Error Located(core::Error e, std::string_view file, int line, int column) {
  if (!e.location) {
    e.location = core::SourceRange{std::string(file), {line, column}, {line, column}};
  }
  return e;
}

class AstParser {
 public:
  AstParser(std::string_view text, std::string_view file) : lines_(text), file_(file) {}

  core::Result<Ast> Run() {
    std::string_view raw;
    while (lines_.Next(raw)) {
      if (current_line_ == 0 && raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
      KILN_TRY(Instruction(raw));
    }
    // BuildKit's message, but located at the long line itself (BuildKit gives the last line it
    // read, and says "file with no instructions" when no instruction came before it).
    auto too_long = [&] {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "dockerfile line greater than max allowed size of " +
                            std::to_string(kMaxLineBytes),
                        core::SourceRange{file_, {lines_.too_long(), 1}, {lines_.too_long(), 1}});
    };
    if (ast_.children.empty() && !lines_.too_long()) {
      return core::Fail(
          core::ErrorCode::kInvalidInput, "file with no instructions",
          core::SourceRange{
              file_, {std::max(current_line_, 1), 1}, {std::max(current_line_, 1), 1}});
    }
    if (lines_.too_long()) return too_long();
    ast_.start_line = ast_.children.front().range.start.line;
    ast_.end_line = ast_.children.back().range.end.line;
    return std::move(ast_);
  }

 private:
  // Strips the newline (and leading white space on the first line of an instruction), lets
  // the directive parser see the line, and blanks comments.
  core::Result<std::string_view> ProcessLine(std::string_view raw, bool strip_left) {
    std::string_view token = TrimNewline(raw);
    if (strip_left) token = TrimLeftSpace(token);
    // BuildKit locates directive errors at the line before the directive (currentLine before
    // it counts this one), line 0 for the first line; kiln says line 1 there, FILE:0 being no line.
    const int directive_line = std::max(current_line_, 1);
    auto directive = directives_.ParseLine(token);
    if (!directive) return std::unexpected(Located(directive.error(), file_, directive_line, 1));
    if (*directive) {
      if ((*directive)->name == "escape") {
        const std::string& v = (*directive)->value;
        if (v != "`" && v != "\\") {
          return core::Fail(
              core::ErrorCode::kInvalidInput,
              "invalid escape token '" + v + "' does not match ` or \\",
              core::SourceRange{file_, {directive_line, 1}, {directive_line, 1}});
        }
        ast_.escape = v[0];
      }
      ast_.directives.push_back(**directive);
      if (!comments_.empty()) comments_.pop_back();
    }
    return IsComment(token) ? std::string_view() : token;
  }

  core::Status Instruction(std::string_view raw) {
    if (IsComment(raw)) {
      std::string comment(TrimSpace(raw.substr(1)));
      if (comment.empty()) {
        comments_.clear();
      } else {
        comments_.push_back(std::move(comment));
      }
    }
    KILN_ASSIGN(std::string_view first, ProcessLine(raw, true));
    ++current_line_;
    last_line_ = raw;
    const int start_line = current_line_;
    const int start_col = static_cast<int>(TrimNewline(raw).size() - first.size()) + 1;
    auto [text, eol] = TrimContinuation(first, ast_.escape);
    if (eol && text.empty()) return {};
    std::string line(text);
    bool empty_continuation = false;
    std::string_view next;
    while (!eol && lines_.Next(next)) {
      KILN_ASSIGN(std::string_view processed, ProcessLine(next, false));
      ++current_line_;
      last_line_ = next;
      if (IsComment(next)) continue;
      if (TrimLeftSpace(TrimNewline(processed)).empty()) {
        empty_continuation = true;
        continue;
      }
      std::tie(text, eol) = TrimContinuation(processed, ast_.escape);
      line += text;
    }
    if (empty_continuation) {
      ast_.warnings.push_back({"Empty continuation line found in: " + line, current_line_});
    }
    auto node = detail::NodeFromLine(line, ast_.escape);
    if (!node) return std::unexpected(Located(node.error(), file_, start_line, start_col));
    node->comments = std::move(comments_);
    comments_.clear();
    KILN_TRY(ReadHeredocs(*node, line, start_line, start_col));
    int end_col = std::max<int>(1, static_cast<int>(TrimNewline(last_line_).size()));
    node->range = core::SourceRange{file_, {start_line, start_col}, {current_line_, end_col}};
    ast_.children.push_back(std::move(*node));
    return {};
  }

  static bool CanContainHeredoc(const Node& node) {
    const Node* n = &node;
    if (GoToLower(n->value) == "onbuild" && n->sub) n = n->sub.get();
    std::string cmd = GoToLower(n->value);
    return (cmd == "add" || cmd == "copy" || cmd == "run") && !n->json;
  }

  core::Status ReadHeredocs(Node& node, const std::string& line, int start_line, int start_col) {
    if (!CanContainHeredoc(node) || line.find("<<") == std::string::npos) return {};
    auto docs = HeredocsFromLine(line);
    if (!docs) return std::unexpected(Located(docs.error(), file_, start_line, start_col));
    for (Heredoc& doc : *docs) {
      bool terminated = false;
      std::string_view raw;
      while (lines_.Next(raw)) {
        ++current_line_;
        last_line_ = raw;
        std::string_view candidate = TrimNewline(raw);
        if (doc.chomp) {
          while (!candidate.empty() && candidate[0] == '\t') candidate.remove_prefix(1);
        }
        if (candidate == doc.name) {
          terminated = true;
          break;
        }
        doc.content += raw;
      }
      if (!terminated) {
        return core::Fail(core::ErrorCode::kInvalidInput, "unterminated heredoc",
                          core::SourceRange{file_, {start_line, start_col}, {current_line_, 1}});
      }
      node.heredocs.push_back(std::move(doc));
    }
    return {};
  }

  LineReader lines_;
  std::string file_;
  Ast ast_;
  DirectiveParser directives_;
  std::vector<std::string> comments_;
  int current_line_ = 0;
  std::string_view last_line_;
};

}  // namespace

core::Result<Ast> ParseAst(std::string_view text, std::string_view filename) {
  if (text.size() > kMaxDockerfileBytes) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      std::string(filename) + " is " + std::to_string(text.size()) +
                          " bytes, over kiln's limit of 16 MiB for a Dockerfile");
  }
  return AstParser(text, filename).Run();
}

}  // namespace kiln::parser
