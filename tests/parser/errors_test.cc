// Golden error messages (tests/parser/data/error_cases.txt): every bad Dockerfile gives one
// line, FILE:LINE:COL: message, with BuildKit's wording. UPDATE_GOLDEN=1 rewrites the file.
#include <catch2/catch.hpp>
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

TEST_CASE("bad Dockerfiles give BuildKit's message on one located line", "[unit]") {
  std::vector<std::string> header;
  std::vector<Case> cases = ParseCases(ReadLines(kiln::testing::ReadFile(CasesFile())), header);
  REQUIRE(cases.size() >= 50);
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && *update) {
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
