// .dockerignore matching: moby/patternmatcher's own test cases (transcribed into
// data/patternmatcher_cases.jsonl), plus the <Dockerfile>.dockerignore precedence rule.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "parser/go_path.h"
#include "parser/ignore_matcher.h"
#include "tests/support/test_env.h"

using namespace kiln::parser;
using nlohmann::json;

namespace {

std::vector<json> Cases(const std::string& kind) {
  std::istringstream in(kiln::testing::ReadFile(kiln::testing::SourceDir() /
                                                "tests/parser/data/patternmatcher_cases.jsonl"));
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.value("kind", "") == kind) out.push_back(j);
  }
  return out;
}

std::vector<std::string> Prefixes(const std::string& text) {
  std::string parent = DirPath(text);
  std::vector<std::string> out;
  if (parent == ".") return out;
  size_t at = 0;
  while (true) {
    at = parent.find('/', at);
    out.push_back(parent.substr(0, at));
    if (at == std::string::npos) return out;
    ++at;
  }
}

bool ViaParentResults(const IgnoreMatcher& m, const std::string& text, bool with_context) {
  IgnoreMatcher::ParentInfo info;
  if (with_context) {
    for (const std::string& prefix : Prefixes(text)) {
      IgnoreMatcher::ParentInfo next;
      REQUIRE(m.MatchesUsingParentResults(prefix, info, next).has_value());
      info = next;
    }
  }
  IgnoreMatcher::ParentInfo unused;
  auto r = m.MatchesUsingParentResults(text, info, unused);
  REQUIRE(r.has_value());
  return *r;
}

bool ViaParentResult(const IgnoreMatcher& m, const std::string& text) {
  bool parent = false;
  for (const std::string& prefix : Prefixes(text)) {
    auto r = m.MatchesUsingParentResult(prefix, parent);
    REQUIRE(r.has_value());
    parent = *r;
  }
  auto r = m.MatchesUsingParentResult(text, parent);
  REQUIRE(r.has_value());
  return *r;
}

std::vector<std::string> Patterns(const json& c) {
  if (c.contains("pattern")) return {c["pattern"].get<std::string>()};
  return c["patterns"].get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("patternmatcher TestMatches cases agree in all four evaluation modes", "[unit]") {
  auto cases = Cases("matches");
  REQUIRE(cases.size() == 68);  // 67 + the non-Windows a\\*b case
  for (const json& c : cases) {
    std::string text = c["text"];
    bool want = c["want"];
    INFO("pattern " << c["pattern"] << " text " << text);
    auto m = IgnoreMatcher::Create(Patterns(c));
    REQUIRE(m.has_value());
    auto direct = m->MatchesOrParentMatches(text);
    REQUIRE(direct.has_value());
    CHECK(*direct == want);
    CHECK(ViaParentResult(*m, text) == want);
    CHECK(ViaParentResults(*m, text, true) == want);
    CHECK(ViaParentResults(*m, text, false) == want);
  }
}

TEST_CASE("patternmatcher multi-pattern cases: later exceptions and re-inclusions win", "[unit]") {
  auto cases = Cases("multi");
  REQUIRE(cases.size() == 4);
  for (const json& c : cases) {
    std::string text = c["text"];
    bool want = c["want"];
    INFO("patterns " << c["patterns"].dump() << " text " << text);
    auto m = IgnoreMatcher::Create(Patterns(c));
    REQUIRE(m.has_value());
    CHECK(m->MatchesOrParentMatches(text).value() == want);
    CHECK(ViaParentResults(*m, text, true) == want);
    CHECK(ViaParentResults(*m, text, false) == want);
  }
}

TEST_CASE("patternmatcher matchTests (Go's filepath.Match cases) give the same answers", "[unit]") {
  auto cases = Cases("match");
  REQUIRE(cases.size() == 54);
  for (const json& c : cases) {
    INFO("pattern " << c["pattern"] << " text " << c["text"]);
    auto m = IgnoreMatcher::Create(Patterns(c));
    if (c["error"].get<bool>()) {
      CHECK_FALSE(m.has_value());
      if (!m) CHECK(m.error().message == "syntax error in pattern");
      continue;
    }
    REQUIRE(m.has_value());
    auto r = m->MatchesLegacy(c["text"].get<std::string>());
    REQUIRE(r.has_value());
    CHECK(*r == c["want"].get<bool>());
  }
}

TEST_CASE("patternmatcher's named tests: wildcards, exceptions, '.', empty and bad lists",
          "[unit]") {
  auto cases = Cases("named");
  REQUIRE(cases.size() == 11);
  for (const json& c : cases) {
    INFO(c["name"].get<std::string>());
    auto m = IgnoreMatcher::Create(Patterns(c));
    if (c["error"].get<bool>()) {
      CHECK_FALSE(m.has_value());
      continue;
    }
    REQUIRE(m.has_value());
    CHECK(m->MatchesLegacy(c["text"].get<std::string>()).value() == c["want"].get<bool>());
  }
}

TEST_CASE("patternmatcher pattern cleaning: empty patterns dropped, '!' detected, lone '!' refused",
          "[unit]") {
  for (const json& c : Cases("cleaned")) {
    INFO(c["name"].get<std::string>());
    auto m = IgnoreMatcher::Create(Patterns(c));
    REQUIRE(m.has_value() != c["error"].get<bool>());
    if (!m) {
      CHECK(m.error().message == "illegal exclusion pattern: \"!\"");
      continue;
    }
    CHECK(m->patterns().size() == c["count"].get<size_t>());
    CHECK(m->HasExclusions() == c["exclusions"].get<bool>());
  }
}

TEST_CASE("patternmatcher compile gives Go's match type and regexp for both separators", "[unit]") {
  auto cases = Cases("compile");
  REQUIRE(cases.size() == 21);
  const std::map<std::string, IgnoreMatchType> types = {{"exact", IgnoreMatchType::kExact},
                                                        {"prefix", IgnoreMatchType::kPrefix},
                                                        {"suffix", IgnoreMatchType::kSuffix},
                                                        {"regexp", IgnoreMatchType::kRegexp}};
  for (const json& c : cases) {
    std::string pattern = CleanPath(c["pattern"].get<std::string>());
    INFO("pattern " << pattern);
    CompiledGlob slash = CompileGlob(pattern, '/');
    CHECK(slash.type == types.at(c["type"]));
    CHECK(slash.regexp == c["regexp"].get<std::string>());
    std::string windows = pattern;
    std::replace(windows.begin(), windows.end(), '/', '\\');
    CompiledGlob backslash = CompileGlob(windows, '\\');
    CHECK(backslash.type == types.at(c["type"]));
    CHECK(backslash.regexp == c["windows_regexp"].get<std::string>());
  }
}

TEST_CASE("a pattern Go's regexp rejects fails every match, not the matcher's creation", "[unit]") {
  for (const json& c : Cases("bad_regexp")) {
    auto m = IgnoreMatcher::Create(Patterns(c));
    REQUIRE(m.has_value());
    for (int i = 0; i < 2; ++i) {
      auto r = m->MatchesOrParentMatches(c["text"].get<std::string>());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().message == "syntax error in pattern");
    }
  }
}

TEST_CASE("ignorefile ReadAll rules: BOM, comments, blank lines, cleaning, leading slash",
          "[unit]") {
  auto cases = Cases("readall");
  REQUIRE(cases.size() == 2);
  for (const json& c : cases) {
    CHECK(ReadIgnoreFile(c["content"].get<std::string>()) ==
          c["want"].get<std::vector<std::string>>());
  }
  CHECK(ReadIgnoreFile("\xEF\xBB\xBF# comment\r\nbin\\Debug\r\n  # not a comment\n./a/../b/\n") ==
        std::vector<std::string>{"bin\\Debug", "# not a comment", "b"});
}

TEST_CASE("<name>.dockerignore beside the Dockerfile wins over the context's .dockerignore",
          "[unit]") {
  auto names = DockerignoreCandidates("build/app.Dockerfile", "ctx");
  REQUIRE(names ==
          std::vector<std::string>{"build/app.Dockerfile.dockerignore", "ctx/.dockerignore"});
  CHECK(DockerignoreCandidates("Dockerfile", ".")[1] == ".dockerignore");
  auto both = SelectDockerignore({{names[0], "secret\n"}, {names[1], "*.log\n"}});
  REQUIRE(both.has_value());
  CHECK(both->path == names[0]);
  CHECK(both->patterns == std::vector<std::string>{"secret"});
  auto only_context = SelectDockerignore({{names[0], std::nullopt}, {names[1], "*.log\n"}});
  REQUIRE(only_context.has_value());
  CHECK(only_context->path == names[1]);
  CHECK_FALSE(SelectDockerignore({{names[0], std::nullopt}, {names[1], std::nullopt}}).has_value());
}

// A walk (BuildContext::Walk) carries each directory's DirMatches down instead of re-matching every
// parent of every path: it must answer exactly as MatchesOrParentMatches, also where
// MatchesUsingParentResults does not ("d/*" then "!d": d/f is included, since "!d" matches its parent).
TEST_CASE("MatchesIn with a directory's DirMatches answers exactly as Matches", "[unit]") {
  std::vector<std::vector<std::string>> lists = {
      {".done", "Dockerfile*"},
      {"d/*", "!d"},
      {"a", "!a/b", "a/b/c"},
      {"**/*.tmp", "!keep/**"},
      {"*/x", "!a/x", "a/*/y"},
      {"[Local-Only]", "a"},  // a pattern whose every match fails
      {"!a", "b/**/c"},
  };
  std::vector<std::string> paths = {"a", "a/b", "a/b/c", "a/b/c/d", "a/x", "a/q/y", "b/c", "b/q/c",
                                    "b/q/r/c", "d", "d/f", "d/f/g", ".done", "Dockerfile.linux",
                                    "x/Dockerfile", "keep/a.tmp", "z.tmp", "q/r/s.tmp", "x/x"};
  {
    auto m = IgnoreMatcher::Create({"d/*", "!d"});
    IgnoreMatcher::ParentInfo d, f;
    REQUIRE(m->MatchesUsingParentResults("d", {}, d).has_value());
    CHECK(m->MatchesUsingParentResults("d/f", d, f).value() == true);  // the divergence
    CHECK(m->MatchesOrParentMatches("d/f").value() == false);
  }
  for (const auto& list : lists) {
    auto m = IgnoreMatcher::Create(list);
    REQUIRE(m.has_value());
    for (const auto& path : paths) {
      INFO("patterns " << json(list).dump() << " path " << path);
      IgnoreMatcher::DirMatches dir;  // the root's
      for (const std::string& prefix : Prefixes(path)) dir = m->ForDir(prefix, dir);
      auto want = m->MatchesOrParentMatches(path);
      auto got = m->MatchesIn(path, dir);
      REQUIRE(want.has_value() == got.has_value());
      if (want) CHECK(*got == *want);
    }
  }
}
