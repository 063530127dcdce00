// Word expansion with BuildKit's shell lexer semantics (frontend/dockerfile/shell): quotes,
// escapes, $VAR and ${VAR...} substitution, and optional splitting into words. This is what
// ENV/ARG/COPY/WORKDIR/... arguments go through before the builder uses them.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "parser/env.h"

namespace kiln::parser {

// Expansion is bounded: one word may expand to at most kMaxExpansionBytes, counting every
// substitution made on the way (nested ones included), and the builder holds the variables of
// one scope (the meta ARGs; one stage's ENV, ARG and LABEL values) to the same total. That is
// the Dockerfile size limit (kMaxDockerfileBytes, ast.h) and the image config read limit, so
// no Dockerfile that parses is refused by it, while `ARG A2=${A1}${A1}` doubling stops with a
// located error instead of exhausting memory. (BuildKit has no expansion limit of its own;
// its build definitions travel in gRPC messages of at most 16 MiB.)
inline constexpr size_t kMaxExpansionBytes = size_t{16} << 20;

struct LexOptions {
  char32_t escape = '\\';            // the Dockerfile's escape character: '\\' or '`'
  bool raw_quotes = false;           // keep quote characters in the output
  bool raw_escapes = false;          // keep escape characters in the output
  bool skip_process_quotes = false;  // treat quotes as ordinary characters
  bool skip_unset_env = false;       // leave references to unset variables as written
};

struct WordResult {
  std::string word;                 // the whole input, expanded (ProcessWord)
  std::vector<std::string> words;   // expanded and split on unquoted white space (ProcessWords)
  std::set<std::string> matched;    // variable names that were looked up and set
  std::set<std::string> unmatched;  // ... looked up and unset
};

class ShellLexer {
 public:
  explicit ShellLexer(LexOptions options = {}) : options_(options) {}
  explicit ShellLexer(char32_t escape) { options_.escape = escape; }

  // Expands `word` against `env`. Errors are BuildKit's, wrapped as `failed to process "word":
  // ...` (unterminated quotes, bad substitutions, ${VAR?msg} on an unset VAR, bad patterns).
  // Variable names compare as `env` decides (case-insensitively for a Windows EnvList).
  core::Result<WordResult> Process(std::string_view word, const Env& env) const;
  // The single-word form (ENV values, COPY paths, ...).
  core::Result<std::string> ProcessWord(std::string_view word, const Env& env) const;
  // The word-splitting form (EXPOSE, heredoc detection).
  core::Result<std::vector<std::string>> ProcessWords(std::string_view word, const Env& env) const;

  const LexOptions& options() const { return options_; }

 private:
  LexOptions options_;
};

}  // namespace kiln::parser
