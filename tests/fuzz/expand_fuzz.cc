// libFuzzer harness: BuildKit-style word expansion of every input line, in single-word and
// word-splitting modes, with both escape characters, raw/skip options and Linux and Windows
// (case-insensitive) environments; also heredoc detection on the line.
// fuzz-seeds: $SHARED/conformance/buildkit/shell
// fuzz-seeds: $SHARED/conformance/buildkit/testfiles
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/heredoc.h"
#include "parser/shell_lexer.h"

using namespace kiln::parser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  EnvList env = EnvList::FromStrings(
      {"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL=", "space=abc  def", "P=a*b?c\\"},
      (mode & 1) != 0);
  LexOptions options;
  options.escape = (mode & 2) ? U'`' : U'\\';
  options.raw_quotes = (mode & 4) != 0;
  options.raw_escapes = (mode & 8) != 0;
  options.skip_unset_env = (mode & 16) != 0;
  options.skip_process_quotes = (mode & 32) != 0;
  ShellLexer lexer(options);
  for (int lines = 0; !text.empty() && lines < 64; ++lines) {  // bounded work per input
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // envVarTest lines look like "A|input|expected": try the input field too.
    for (std::string_view word :
         {line, line.substr(line.find('|') == std::string_view::npos ? 0 : line.find('|') + 1)}) {
      (void)lexer.Process(word, env);
      (void)ShellLexer(options.escape).ProcessWords(word, env);
    }
    (void)HeredocsFromLine(line);
  }
  return 0;
}
