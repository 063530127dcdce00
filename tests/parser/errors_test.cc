// Error messages of bad Dockerfiles. The golden file (tests/parser/data/error_cases.txt) records
// kiln's own output (UPDATE_GOLDEN=1 rewrites it), so it only catches changes. Separately, the
// messages kiln means to share with BuildKit are checked against texts taken from BuildKit's
// source (moby/buildkit at 73ed6825c4b7569379ef89df0aedcdbe64473d31, files cited per row).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "parser/dockerfile.h"
#include "parser/expand.h"
#include "tests/support/test_env.h"

using namespace kiln::parser;

namespace {

struct Case {
  std::string name, text, mode, expected;
};

std::filesystem::path CasesFile() {
  return kiln::testing::SourceDir() / "tests/parser/data/error_cases.txt";
}

std::vector<std::string> ReadLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Returns the header comment lines and the cases.
std::vector<Case> ParseCases(const std::vector<std::string>& lines,
                             std::vector<std::string>& header) {
  std::vector<Case> cases;
  size_t i = 0;
  while (i < lines.size() && !lines[i].starts_with("=== ")) header.push_back(lines[i++]);
  while (i < lines.size()) {
    Case c;
    c.name = lines[i++].substr(4);
    std::vector<std::string> body;
    while (i < lines.size() && !lines[i].starts_with("--- ")) body.push_back(lines[i++]);
    REQUIRE(i + 1 < lines.size());
    c.mode = lines[i++].substr(4);
    c.expected = lines[i++];
    for (const std::string& l : body) c.text += l + "\n";
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string Actual(const Case& c) {
  auto df = ParseDockerfile(c.text, "Dockerfile");
  if (!df) return df.error().ToString();
  if (c.mode == "expand") {
    EnvList env;
    for (Stage& stage : df->stages) {
      for (Instruction& i : stage.instructions) {
        if (auto s = ExpandInstruction(i, env, df->escape); !s) return s.error().ToString();
      }
    }
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("bad Dockerfiles give the message recorded in kiln's golden file, on one located line",
          "[unit]") {
  std::vector<std::string> header;
  std::vector<Case> cases = ParseCases(ReadLines(kiln::testing::ReadFile(CasesFile())), header);
  REQUIRE(cases.size() >= 50);
  if (kiln::testing::UpdateGolden()) {
    std::string out;
    for (const std::string& h : header) out += h + "\n";
    for (const Case& c : cases) {
      out += "=== " + c.name + "\n" + c.text + "--- " + c.mode + "\n" + Actual(c) + "\n";
    }
    kiln::testing::WriteFile(CasesFile(), out);
  }
  for (const Case& c : cases) {
    INFO(c.name);
    std::string actual = Actual(c);
    CHECK(actual == c.expected);
    CHECK(actual.find('\n') == std::string::npos);
    CHECK(actual.starts_with("Dockerfile:"));
  }
}

namespace {

// One golden case whose message text (after kiln's "Dockerfile:LINE:COL: ") is BuildKit's: the
// format string at `source` (a path in moby/buildkit) filled with the case's own arguments.
struct BuildKitText {
  const char* case_name;
  const char* text;
  const char* source;
};

// Left out on purpose: texts of Go's standard library that BuildKit passes through (time,
// strconv, encoding/csv), the Windows-only SHELL hint (errors_windows.go; kiln prints it on every
// host), and the substitution with an invalid UTF-8 modifier.
const BuildKitText kBuildKitTexts[] = {
    {"heredoc without its terminator", "unterminated heredoc",
     "frontend/dockerfile/parser/parser.go:391"},
    {"a directive given twice", "only one escape parser directive can be used",
     "frontend/dockerfile/parser/directives.go:81 (\"only one %s parser directive can be used\")"},
    {"an escape directive that is neither backslash nor backtick",
     "invalid escape token 'x' does not match ` or \\", "frontend/dockerfile/parser/parser.go:155"},
    {"an empty file", "file with no instructions", "frontend/dockerfile/parser/parser.go:404"},
    {"a file of comments only", "file with no instructions",
     "frontend/dockerfile/parser/parser.go:404"},
    {"an unknown instruction with a suggestion", "unknown instruction: COPPY (did you mean COPY?)",
     "frontend/dockerfile/instructions/parse.go:167 and util/suggest/error.go:64"},
    {"an unknown flag with a suggestion", "unknown flag: --form (did you mean from?)",
     "frontend/dockerfile/instructions/bflag.go:170 and util/suggest/error.go:64"},
    {"a flag given twice", "duplicate flag specified: --chown",
     "frontend/dockerfile/instructions/bflag.go:175"},
    {"a string flag without a value", "missing a value on flag: --chown",
     "frontend/dockerfile/instructions/bflag.go:198"},
    {"a boolean flag with a bad value", "expecting boolean value for flag --link, not: maybe",
     "frontend/dockerfile/instructions/bflag.go:193"},
    {"a boolean flag with an empty value", "missing a value on flag: --keep-git-dir",
     "frontend/dockerfile/instructions/bflag.go:184"},
    {"FROM with two arguments", "FROM requires either one or three arguments",
     "frontend/dockerfile/instructions/parse.go:430"},
    {"a stage name starting with a digit",
     "invalid name for build stage: \"1st\", name can't start with a number or contain symbols",
     "frontend/dockerfile/instructions/parse.go:427"},
    {"an instruction before the first FROM", "no build stage in current context",
     "frontend/dockerfile/instructions/commands.go:550"},
    {"ENV without a value", "ENV must have two arguments",
     "frontend/dockerfile/parser/line_parsers.go:156"},
    {"ENV pairs missing an equals sign",
     "Syntax error - can't find = in \"c\". Must be of the form: name=value",
     "frontend/dockerfile/parser/line_parsers.go:165"},
    {"LABEL with a blank name", "LABEL names can not be blank",
     "frontend/dockerfile/instructions/parse.go:823"},
    {"ARG with a blank name", "ARG names can not be blank",
     "frontend/dockerfile/instructions/parse.go:823"},
    {"COPY without a destination",
     "COPY requires at least two arguments, but only one was provided. Destination could not be "
     "determined",
     "frontend/dockerfile/instructions/parse.go:815"},
    {"COPY to a heredoc", "COPY cannot accept a heredoc as a destination",
     "frontend/dockerfile/instructions/parse.go:281 and :819"},
    {"WORKDIR without a path", "WORKDIR requires exactly one argument",
     "frontend/dockerfile/instructions/parse.go:811"},
    {"MAINTAINER without a name", "MAINTAINER requires exactly one argument",
     "frontend/dockerfile/instructions/parse.go:811"},
    {"EXPOSE without ports", "EXPOSE requires at least one argument",
     "frontend/dockerfile/instructions/parse.go:807"},
    {"SHELL with an empty array", "SHELL requires at least one argument",
     "frontend/dockerfile/instructions/parse.go:807"},
    {"HEALTHCHECK NONE with arguments", "HEALTHCHECK NONE takes no arguments",
     "frontend/dockerfile/instructions/parse.go:604"},
    {"HEALTHCHECK of an unknown type", "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)",
     "frontend/dockerfile/instructions/parse.go:635"},
    {"HEALTHCHECK CMD without a command", "Missing command after HEALTHCHECK CMD",
     "frontend/dockerfile/instructions/parse.go:626"},
    {"HEALTHCHECK interval below a millisecond", "Interval \"interval\" cannot be less than 1ms",
     "frontend/dockerfile/instructions/parse.go:587"},
    {"HEALTHCHECK negative retries", "--retries cannot be negative (-1)",
     "frontend/dockerfile/instructions/parse.go:668"},
    {"SHELL in shell form", "SHELL requires the arguments to be in JSON form",
     "frontend/dockerfile/instructions/errors_unix.go:8"},
    {"a JSON array holding a number",
     "when using JSON array syntax, arrays must be comprised of strings only",
     "frontend/dockerfile/parser/line_parsers.go:19"},
    {"ONBUILD ONBUILD", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
     "frontend/dockerfile/instructions/parse.go:447"},
    {"ONBUILD FROM", "FROM isn't allowed as an ONBUILD trigger",
     "frontend/dockerfile/instructions/parse.go:449"},
    {"RUN with an unknown network mode", "invalid network mode \"bridge\"",
     "frontend/dockerfile/instructions/commands_runnetwork.go:48"},
    {"RUN with an unknown security mode", "security \"root\" is not valid",
     "frontend/dockerfile/instructions/commands_runsecurity.go:44"},
    {"RUN --mount from a variable",
     "'from' doesn't support variable expansion, define alias stage instead",
     "frontend/dockerfile/instructions/commands_runmount.go:181"},
    {"VOLUME with an empty path", "VOLUME specified can not be an empty string",
     "frontend/dockerfile/instructions/parse.go:728"},
    {"COPY --from with a variable",
     "variable expansion is not supported for --from, define a new stage with FROM using ARG "
     "from global scope as a workaround",
     "frontend/dockerfile/dockerfile2llb/convert.go:950"},
    {"a tmpfs size that is not a size", "invalid value for size: lots",
     "frontend/dockerfile/instructions/commands_runmount.go:227"},
    {"an unknown mount type with a suggestion",
     "unsupported mount type \"cachex\" (did you mean cache?)",
     "frontend/dockerfile/instructions/commands_runmount.go:192 and util/suggest/error.go:64"},
    {"a secret mount with a from", "secret mount should not have a from",
     "frontend/dockerfile/instructions/commands_runmount.go:292"},
    {"a required variable that is unset", "failed to process \"\\\"${B:?must be set}\\\"\": B: must be set",
     "frontend/dockerfile/shell/lex.go:117 and :417"},
    {"a bad pattern in a substitution",
     "failed to process \"${PWD#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape "
     "'\\x'",
     "frontend/dockerfile/shell/lex.go:117, :651 and :636"},
};

}  // namespace

TEST_CASE("the error texts kiln shares with BuildKit are BuildKit's own, cited by source file",
          "[unit]") {
  std::vector<std::string> header;
  std::vector<Case> cases = ParseCases(ReadLines(kiln::testing::ReadFile(CasesFile())), header);
  for (const BuildKitText& want : kBuildKitTexts) {
    INFO(want.case_name << " (BuildKit " << want.source << ")");
    auto c = std::find_if(cases.begin(), cases.end(),
                          [&](const Case& x) { return x.name == want.case_name; });
    REQUIRE(c != cases.end());
    std::string actual = Actual(*c);
    // kiln's location prefix, then BuildKit's text.
    auto colon = actual.find(": ");
    REQUIRE(colon != std::string::npos);
    CHECK(actual.substr(colon + 2) == want.text);
  }
}
