// The AST stage: heredocs, directives, continuations, comments, JSON forms, word splitting and
// the dump, including the facts BuildKit's parser tests assert.
#include "parser/ast.h"

#include <catch2/catch.hpp>

#include "parser/heredoc.h"
#include "parser/json_array.h"
#include "parser/line_parsers.h"

using namespace kiln::parser;

namespace {

Ast MustParse(std::string_view text) {
  auto ast = ParseAst(text);
  if (!ast) FAIL(ast.error().ToString());
  return std::move(*ast);
}

}  // namespace

TEST_CASE("heredocs are extracted with BuildKit's names, bodies and flags", "[unit]") {
  Ast ast = MustParse(
      "FROM alpine:3.6\n"
      "RUN <<EMPTY\nEMPTY\n"
      "RUN 3<<EMPTY2\nEMPTY2\n"
      "RUN \"<<NOHEREDOC\"\n"
      "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
      "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
      "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
      "COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n"
      "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
      "RUN <<eo'f'\necho foo\neof\n"
      "RUN <<eo\\'f\necho foo\neo'f\n"
      "RUN <<'one two'\necho bar\none two\n"
      "RUN <<  EOF  > foo\nEOF\n"
      "USER <<INVALID\nINVALID\n");
  auto docs = [&](size_t i) { return ast.children.at(i).heredocs; };
  CHECK(docs(1) == std::vector<Heredoc>{{"EMPTY", 0, true, false, ""}});
  CHECK(docs(2) == std::vector<Heredoc>{{"EMPTY2", 3, true, false, ""}});
  CHECK(docs(3).empty());
  CHECK(docs(4) == std::vector<Heredoc>{{"UNINDENT2", 0, true, true, "\tbaz\n\tquux\n"}});
  CHECK(docs(5) == std::vector<Heredoc>{{"NOEXPAND", 0, false, true, "\tdon't expand $NAME\n"}});
  CHECK(docs(6) == std::vector<Heredoc>{{"MOUNT", 0, true, false, "echo hello\n"}});
  CHECK(docs(7) == std::vector<Heredoc>{{"FILE1", 0, true, false, "content 1\n"},
                                        {"FILE2", 0, true, false, "content 2\n"}});
  CHECK(docs(8) ==
        std::vector<Heredoc>{{"X", 0, true, false, "Y\n"}, {"Y", 0, true, false, "X\n"}});
  CHECK(docs(9) == std::vector<Heredoc>{{"eof", 0, false, false, "echo foo\n"}});
  CHECK(docs(10) == std::vector<Heredoc>{{"eo'f", 0, true, false, "echo foo\n"}});
  CHECK(docs(11) == std::vector<Heredoc>{{"one two", 0, false, false, "echo bar\n"}});
  CHECK(docs(12) == std::vector<Heredoc>{{"EOF", 0, true, false, ""}});
  // USER cannot hold a heredoc: its "<<INVALID" is an argument and the next line an instruction.
  CHECK(docs(13).empty());
  CHECK(ast.children.size() == 15);
  CHECK(ast.children[14].value == "INVALID");
}

TEST_CASE("a heredoc's lines count in the instruction's range", "[unit]") {
  Ast ast = MustParse("FROM a\nCOPY <<EOF /x\none\ntwo\nEOF\nRUN ls\n");
  CHECK(ast.children[1].range.start.line == 2);
  CHECK(ast.children[1].range.end.line == 5);
  CHECK(ast.children[2].range.start.line == 6);
}

TEST_CASE("exec-form RUN never starts a heredoc", "[unit]") {
  Ast ast = MustParse("FROM a\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\nRUN [\"whoami\"]\n");
  for (size_t i = 1; i < 4; ++i) CHECK(ast.children[i].heredocs.empty());
  CHECK(ast.children.size() == 4);
}

TEST_CASE("heredoc words: valid, invalid and not-a-heredoc forms", "[unit]") {
  for (const char* word : {"<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"",
                           "<<EO\"F\"", "<< EOF", "<<- EOF"}) {
    INFO(word);
    auto doc = ParseHeredoc(word);
    REQUIRE(doc.has_value());
    REQUIRE(doc->has_value());
    CHECK((*doc)->name == "EOF");
  }
  for (const char* word : {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""}) {
    INFO(word);
    CHECK_FALSE(ParseHeredoc(word).has_value());
  }
  for (const char* word : {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"}) {
    INFO(word);
    auto doc = ParseHeredoc(word);
    REQUIRE(doc.has_value());
    CHECK_FALSE(doc->has_value());
  }
  auto names = [](std::string_view line) {
    std::vector<std::string> out;
    auto docs = HeredocsFromLine(line);
    REQUIRE(docs.has_value());
    for (const Heredoc& d : *docs) out.push_back(d.name);
    return out;
  };
  // "<<-" followed by a space splits into two words, so no heredoc (BuildKit's own test loops
  // over the heredocs found and so does not notice).
  CHECK(names("RUN <<- EOF").empty());
  CHECK(names("RUN << -EOF") == std::vector<std::string>{"-EOF"});
  CHECK(names("RUN 4<<EOF") == std::vector<std::string>{"EOF"});
  CHECK(names("RUN <<EOF <<EOF2") == std::vector<std::string>{"EOF", "EOF2"});
  CHECK(names("RUN '<<EOF'").empty());
  CHECK(names("RUN \"<<EOF\"").empty());
  CHECK(ChompHeredocContent("\thello\n\t\tworld\n") == "hello\nworld\n");
}

TEST_CASE("parser directives: case-insensitive names, only at the top, each once", "[unit]") {
  Ast ast =
      MustParse("# EScape=`\n# syntax = docker/dockerfile:1 // opts\n#check=skip=all\nFROM a\n");
  CHECK(ast.escape == '`');
  REQUIRE(ast.directives.size() == 3);
  CHECK(ast.directives[0].name == "escape");
  CHECK(ast.directives[1].value == "docker/dockerfile:1 // opts");
  CHECK(ast.directives[2].name == "check");
  CHECK(ast.directives[2].line == 3);
  // An unknown directive ends the block; later ones are plain comments.
  Ast late = MustParse("# key = FOO bar\n# escape=`\nFROM a \\\n  b\n");
  CHECK(late.escape == '\\');
  CHECK(late.directives.empty());
  // A BOM before the first directive is fine.
  CHECK(MustParse("\xEF\xBB\xBF# escape=`\nFROM a\n").escape == '`');
  auto twice = ParseAst("# syntax=a\n# syntax=b\nFROM a\n");
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().ToString() == "Dockerfile:2:1: only one syntax parser directive can be used");
}

TEST_CASE("directive comments are not instruction comments, others are kept", "[unit]") {
  Ast ast = MustParse("# escape=`\n# the base\nFROM a\n\n# one\n\n# two\n# three\nRUN x\n");
  CHECK(ast.children[0].comments == std::vector<std::string>{"the base"});
  CHECK(ast.children[1].comments == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("continuations skip comment and blank lines and warn on empty ones", "[unit]") {
  Ast ast = MustParse(
      "FROM alpine:3.6\n\nRUN valid \\\n    continuation\n\n"
      "RUN something \\\n\n    following \\\n\n    more\n\n"
      "RUN another \\\n\n    thing\n\n"
      "RUN non-indented \\\n# this is a comment\n   after-comment\n\n"
      "RUN indented \\\n    # this is an indented comment\n    comment\n");
  REQUIRE(ast.warnings.size() == 2);
  CHECK(ast.warnings[0].message ==
        "Empty continuation line found in: RUN something     following     more");
  CHECK(ast.warnings[1].message.ends_with("RUN another     thing"));
  CHECK(ast.children[4].Dump() == "run \"non-indented    after-comment\"");
  CHECK(ast.children[5].Dump() == "run \"indented     comment\"");
}

TEST_CASE("the backtick escape continues lines and leaves backslashes alone", "[unit]") {
  Ast ast = MustParse(
      "# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
      "COPY app\\ `\n     C:\\app\\\nRUN dir c:\\ ``\n");
  CHECK(ast.children[1].Dump() == "copy \"app\\\\\" \"C:\\\\app\\\\\"");
  // An escaped escape at the end does not continue the line.
  CHECK(ast.children[2].Dump() == "run \"dir c:\\\\ ``\"");
}

TEST_CASE("parseWords keeps quotes and escapes and splits on white space", "[unit]") {
  using detail::ParseWords;
  CHECK(ParseWords("foo", '\\') == std::vector<std::string>{"foo"});
  CHECK(ParseWords("foo bar", '\\') == std::vector<std::string>{"foo", "bar"});
  CHECK(ParseWords("foo\\ bar", '\\') == std::vector<std::string>{"foo\\ bar"});
  CHECK(ParseWords("foo=bar", '\\') == std::vector<std::string>{"foo=bar"});
  CHECK(ParseWords("foo bar 'abc xyz'", '\\') ==
        std::vector<std::string>{"foo", "bar", "'abc xyz'"});
  CHECK(ParseWords("foo bar \"abc xyz\"", '\\') ==
        std::vector<std::string>{"foo", "bar", "\"abc xyz\""});
  CHECK(ParseWords("àöû", '\\') == std::vector<std::string>{"àöû"});
  CHECK(ParseWords("föo bàr \"âbc xÿz\"", '\\') ==
        std::vector<std::string>{"föo", "bàr", "\"âbc xÿz\""});
  CHECK(ParseWords("a=\"\" b", '\\') == std::vector<std::string>{"a=\"\"", "b"});
}

TEST_CASE("JSON arrays: strings only, Go's escapes, anything else falls back or fails", "[unit]") {
  auto ok = [](std::string_view text) {
    JsonArray a = ParseJsonStringArray(text);
    REQUIRE(a.status == JsonArrayStatus::kOk);
    return a.items;
  };
  CHECK(ok("[]").empty());
  CHECK(ok("[\"\"]") == std::vector<std::string>{""});
  CHECK(ok("\t[\t\"a\",\t\"b\"\t]\t") == std::vector<std::string>{"a", "b"});
  CHECK(
      ok(R"(["abc 123", "♥", "☃", "\" \\ \/ \b \f \n \r \t \u0000"])") ==
      std::vector<std::string>{"abc 123", "♥", "☃", std::string("\" \\ / \b \f \n \r \t \0", 17)});
  CHECK(ok(R"(["\ud83d\ude00", "\ud800x"])") ==
        std::vector<std::string>{"\xF0\x9F\x98\x80", "\xEF\xBF\xBDx"});
  for (const char* bad :
       {R"(["a",42,"b"])", R"(["a",123.456,"b"])", R"(["a",{},"b"])", R"(["a",{"c": "d"},"b"])",
        R"(["a",["c"],"b"])", R"(["a",true,"b"])", R"(["a",false,"b"])", R"(["a",null,"b"])"}) {
    INFO(bad);
    CHECK(ParseJsonStringArray(bad).status == JsonArrayStatus::kNotStrings);
  }
  for (const char* shell : {"['a']", "[\"a\",]", "[\"a\"] x", "[\"a", "[01]", "[\"\x01\"]", "x"}) {
    INFO(shell);
    CHECK(ParseJsonStringArray(shell).status == JsonArrayStatus::kNotJson);
  }
  CHECK(ParseJsonStringArray(std::string(20000, '[')).status == JsonArrayStatus::kNotJson);
}

TEST_CASE("the dump quotes like Go: control bytes, invalid UTF-8, non-printable runes", "[unit]") {
  Ast ast = MustParse(
      "FROM a\nRUN [\"\\u0007\\u007f\\u00a0\\u200b\", \"é\\ud83d\\ude00\"]\n"
      "LABEL k=v\xff\nONBUILD COPY --from=x a b\nFOO bar\n");
  CHECK(ast.children[1].Dump() == "run \"\\a\\x7f\\u00a0\\u200b\" \"é😀\"");
  CHECK(ast.children[2].Dump() == "label \"k\" \"v\xEF\xBF\xBD\" \"=\"");
  CHECK(ast.children[3].Dump() == "onbuild (copy [\"--from=x\"] \"a\" \"b\")");
  CHECK(ast.children[4].Dump() == "foo \"\"");
}

TEST_CASE("flags are read byte-wise up to the first non-flag word or --", "[unit]") {
  Ast ast = MustParse("FROM a\nCOPY --chown=\"a b\" -- --not-a-flag /x\nCOPY --a --b=\"\" c d\n");
  CHECK(ast.children[1].flags == std::vector<std::string>{"--chown=a b"});
  CHECK(ast.children[1].args == std::vector<std::string>{"--not-a-flag", "/x"});
  CHECK(ast.children[2].flags == std::vector<std::string>{"--a", "--b="});
}

TEST_CASE("any bytes parse or fail cleanly, and nesting is bounded", "[unit]") {
  std::string onbuilds;
  for (int i = 0; i < 200; ++i) onbuilds += "ONBUILD ";
  auto deep = ParseAst(onbuilds + "RUN x\n");
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().message == "ONBUILD nested too deeply");
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  auto r = ParseAst(binary + "\n" + binary);
  CHECK((r.has_value() || r.error().location.has_value()));
}
