// A parsed Dockerfile: the meta ARGs before the first FROM and the build stages, each a FROM
// plus its typed instructions. This is the front end's main entry point for the builder.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/ast.h"
#include "parser/instructions.h"

namespace kiln::parser {

struct Stage {
  FromInstruction from;     // base_name / platform as written: expand them with the meta ARGs
  std::string name;         // from.stage_name ("" when unnamed)
  std::string doc_comment;  // "# <name> ..." comment above FROM
  std::vector<Instruction> instructions;
};

struct Dockerfile {
  std::vector<ArgInstruction> meta_args;  // ARGs before the first FROM, in order
  std::vector<Stage> stages;
  char escape = '\\';  // from the `# escape=` directive; pass it to ShellLexer
  std::vector<Directive> directives;
  std::vector<ParseWarning> warnings;

  // The stage called `name` (case-insensitive), or by index ("0", "1", ...); nullopt if none.
  std::optional<size_t> FindStage(std::string_view name_or_index) const;
};

// Groups converted instructions into stages (BuildKit's instructions.Parse). Fails on the first
// bad instruction, or on an instruction other than ARG before the first FROM ("no build stage
// in current context"), located at that instruction.
core::Result<Dockerfile> BuildStages(const Ast& ast);

// Reads a Dockerfile (`path` "-" = stdin) for any verb, so all apply one limit: at most
// kMaxDockerfileBytes (ast.h) are read; a longer file fails with the message ParseAst gives,
// a directory with kInvalidInput, a file that cannot be opened with kNotFound.
core::Result<std::string> ReadDockerfile(const std::string& path);

// Text -> AST -> stages in one call.
core::Result<Dockerfile> ParseDockerfile(std::string_view text,
                                         std::string_view filename = "Dockerfile");

// Parses the ONBUILD triggers of a base image (OnbuildInstruction::expression strings, one
// instruction each) as BuildKit does when a stage starts from that image. Every instruction and
// error is located at `at` (the stage's FROM). FROM, MAINTAINER and ONBUILD are refused.
core::Result<std::vector<Instruction>> ParseOnbuildTriggers(
    const std::vector<std::string>& triggers, const core::SourceRange& at);

}  // namespace kiln::parser
