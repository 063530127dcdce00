// Word expansion of typed instructions (stage 3 of the front end): which words of which
// instruction BuildKit expands, with the stage's environment, when it runs the instruction.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "parser/env.h"
#include "parser/instructions.h"

namespace kiln::parser {

// Expands, in place, exactly the words BuildKit expands (Dockerfile reference, "Environment
// replacement"), with `env` = the stage's current ENV and ARG values (an EnvList made with
// case_insensitive=true for Windows targets) and `escape` = Dockerfile::escape:
//   ENV, LABEL      keys and values
//   COPY            sources, destination, --chown, --chmod; heredoc bodies unless the
//                   delimiter was quoted. --from is never expanded: a variable in it is an error
//   ADD             as COPY, plus --checksum
//   WORKDIR, USER, STOPSIGNAL, VOLUME (each), ARG default values
//   EXPOSE          each port, split into words (one argument may give several ports)
//   RUN             every --mount value (re-parsed into RunInstruction::mounts)
// RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands, MAINTAINER and ONBUILD are left as written
// (the shell expands commands at run time). ARG defaults: BuildKit expands one only when no
// --build-arg value overrides it; prefer StageArgValue (build_args.h) for ARG.
// Fails, located at the instruction, with the lexer's error (`failed to process "${X": ...`).
core::Status ExpandInstruction(Instruction& instruction, const Env& env, char escape);

// COPY --from is never expanded: BuildKit refuses a value the shell lexer would change (a
// variable, a quote, an escape) while it plans the build (dockerfile2llb toCommand), with
// "variable expansion is not supported for --from, ...". Fails (unlocated) on such a value.
core::Status CheckCopyFrom(std::string_view from, char escape);

// Expands a heredoc body as COPY/ADD do: variables only, quotes and escapes stay (BuildKit uses
// a lexer with escape '\\' and quote processing off here, whatever the Dockerfile's escape).
core::Result<std::string> ExpandHeredocBody(std::string_view body, const Env& env);

}  // namespace kiln::parser
