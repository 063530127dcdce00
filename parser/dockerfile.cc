#include "parser/dockerfile.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/sys_fs.h"
#include "parser/instruction_request.h"
#include "parser/runes.h"

namespace kiln::parser {
std::optional<size_t> Dockerfile::FindStage(std::string_view name_or_index) const {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (!stages[i].name.empty() && AsciiEqualFold(stages[i].name, name_or_index)) return i;
  }
  size_t index = 0;
  auto [end, ec] =
      std::from_chars(name_or_index.data(), name_or_index.data() + name_or_index.size(), index);
  if (ec == std::errc() && end == name_or_index.data() + name_or_index.size() &&
      index < stages.size()) {
    return index;
  }
  return std::nullopt;
}

core::Result<Dockerfile> BuildStages(const Ast& ast) {
  Dockerfile df;
  df.escape = ast.escape;
  df.directives = ast.directives;
  df.warnings = ast.warnings;
  for (const Node& node : ast.children) {
    KILN_ASSIGN(ParsedInstruction parsed, ParseInstruction(node));
    if (auto* from = std::get_if<FromInstruction>(&parsed)) {
      Stage stage;
      stage.name = from->stage_name;
      stage.doc_comment = detail::DocComment(from->comments, stage.name);
      stage.from = std::move(*from);
      df.stages.push_back(std::move(stage));
      continue;
    }
    Instruction& instruction = std::get<Instruction>(parsed);
    if (df.stages.empty()) {
      if (auto* arg = std::get_if<ArgInstruction>(&instruction)) {
        df.meta_args.push_back(std::move(*arg));
        continue;
      }
      return core::Fail(core::ErrorCode::kInvalidInput, "no build stage in current context",
                        node.range);
    }
    df.stages.back().instructions.push_back(std::move(instruction));
  }
  return df;
}

core::Result<std::string> ReadDockerfile(const std::string& path) {
  std::error_code ec;
  if (path != "-" && std::filesystem::is_directory(sys::U8Path(path), ec)) {
    return core::Fail(core::ErrorCode::kInvalidInput, path + " is a directory, not a Dockerfile");
  }
  FILE* f = path == "-" ? stdin : sys::FOpen(path, "rb");
  if (!f) {
    return core::Fail(core::ErrorCode::kNotFound,
                      "cannot read Dockerfile " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[64 * 1024];
  size_t total = 0;  // keeps counting past the limit (without keeping the bytes) for the message
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) {
    if (total + n <= kMaxDockerfileBytes) text.append(buf, n);
    total += n;
    if (total > kMaxDockerfileBytes && total > (size_t{64} << 20)) break;  // enough to say so
  }
  bool failed = std::ferror(f);
  if (f != stdin) std::fclose(f);
  if (failed) return core::Fail(core::ErrorCode::kIo, "error reading Dockerfile " + path);
  if (total > kMaxDockerfileBytes) {
    std::string shown = path == "-" ? "<stdin>" : path;
    return core::Fail(core::ErrorCode::kInvalidInput,
                      shown + " is " + (total > (size_t{64} << 20) ? "more than " : "") +
                          std::to_string(total) + " bytes, over kiln's limit of 16 MiB for a "
                          "Dockerfile");
  }
  return text;
}

core::Result<Dockerfile> ParseDockerfile(std::string_view text, std::string_view filename) {
  KILN_ASSIGN(Ast ast, ParseAst(text, filename));
  return BuildStages(ast);
}

core::Result<std::vector<Instruction>> ParseOnbuildTriggers(
    const std::vector<std::string>& triggers, const core::SourceRange& at) {
  std::vector<Instruction> out;
  for (const std::string& trigger : triggers) {
    auto ast = ParseAst(trigger, at.file);
    if (!ast) return core::Fail(ast.error().code, ast.error().message, at);
    if (ast->children.size() != 1) {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "onbuild trigger should be a single expression", at);
    }
    Node& node = ast->children[0];
    node.range = at;
    std::string cmd = GoToLower(node.value);
    if (cmd == "onbuild" || cmd == "from" || cmd == "maintainer") {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        AsciiUpper(cmd) + " isn't allowed as an ONBUILD trigger", at);
    }
    KILN_ASSIGN(ParsedInstruction parsed, ParseInstruction(node));
    out.push_back(std::move(std::get<Instruction>(parsed)));
  }
  return out;
}

}  // namespace kiln::parser
