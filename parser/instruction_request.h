// Internal to the parser: the per-instruction converters from an AST Node to a typed
// instruction, shared by instruction_parser.cc, parse_files.cc and parse_commands.cc.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "parser/build_flags.h"
#include "parser/instructions.h"

namespace kiln::parser::detail {

// BuildKit's parseRequest.
struct Request {
  const Node& node;
  std::vector<std::string> args;  // nodeArgs: ONBUILD flattens its trigger
  BuildFlags flags;
  InstructionBase base;
};

inline core::Error Error(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}
inline core::Error ErrAtLeastOneArgument(std::string_view cmd) {
  return Error(std::string(cmd) + " requires at least one argument");
}
inline core::Error ErrExactlyOneArgument(std::string_view cmd) {
  return Error(std::string(cmd) + " requires exactly one argument");
}

// getDocComment: the text after "<name> " in the first comment line starting so, else "".
std::string DocComment(const std::vector<std::string>& comments, const std::string& name);

// handleJSONArgs: exec form as is, shell form joined into one string.
std::vector<std::string> CommandArgs(const Request& req);

core::Result<Instruction> ParseCopy(Request& req);
core::Result<Instruction> ParseAdd(Request& req);
core::Result<Instruction> ParseRun(Request& req);
core::Result<Instruction> ParseCmd(Request& req);
core::Result<Instruction> ParseEntrypoint(Request& req);
core::Result<Instruction> ParseHealthcheck(Request& req);
core::Result<Instruction> ParseShell(Request& req);

}  // namespace kiln::parser::detail
