// The `kiln parse --json` document: a parsed Dockerfile (meta ARGs, stages, typed instructions
// with locations) as stable JSON, written in one pass (json_writer.h). Schema: docs/parse-json.md.
#pragma once

#include <string>

#include "parser/dockerfile.h"

namespace kiln::parser {

// Pretty-printed JSON (2-space indent, keys sorted, trailing newline). Invalid UTF-8 is replaced
// by U+FFFD. `version` in the document is kParseJsonVersion.
inline constexpr int kParseJsonVersion = 1;
std::string DockerfileToJson(const Dockerfile& dockerfile, const std::string& file);

}  // namespace kiln::parser
