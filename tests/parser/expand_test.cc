// Word expansion: the shell lexer's extra cases, which words of which instruction are
// expanded, Windows case-insensitivity, and ARG scoping with the predefined platform args.
#include "parser/expand.h"

#include <catch2/catch.hpp>

#include "parser/build_args.h"
#include "parser/shell_lexer.h"
#include "parser/shell_pattern.h"

using namespace kiln::parser;
using kiln::core::Platform;

namespace {

std::string Word(std::string_view word, const Env& env, char32_t escape = '\\') {
  auto r = ShellLexer(escape).ProcessWord(word, env);
  if (!r) FAIL(r.error().message);
  return *r;
}

Dockerfile MustParse(std::string_view text) {
  auto df = ParseDockerfile(text);
  if (!df) FAIL(df.error().ToString());
  return std::move(*df);
}

}  // namespace

TEST_CASE("required variables: ${V:?msg} refuses empty and unset, ${V?msg} only unset", "[unit]") {
  ShellLexer lex('\\');
  auto set = EnvList::FromStrings({"VAR=plain", "ARG=x"}, false);
  auto empty = EnvList::FromStrings({"VAR=", "ARG=x"}, false);
  auto unset = EnvList::FromStrings({"ARG=x"}, false);
  CHECK(lex.ProcessWord("${VAR:?message here$ARG}", set).value() == "plain");
  CHECK(lex.ProcessWord("${VAR:?message here$ARG}", empty).error().message ==
        "failed to process \"${VAR:?message here$ARG}\": VAR: message herex");
  CHECK_FALSE(lex.ProcessWord("${VAR:?message here$ARG}", unset).has_value());
  CHECK(lex.ProcessWord("${VAR?message here$ARG}", set).value() == "plain");
  CHECK(lex.ProcessWord("${VAR?message here$ARG}", empty).value().empty());
  CHECK(lex.ProcessWord("${VAR?}", unset)
            .error()
            .message.ends_with("VAR: is not allowed to be unset"));
}

TEST_CASE("prefix, suffix and replacement patterns match like BuildKit's regexps", "[unit]") {
  auto env = EnvList::FromStrings({"P=/usr/local/bin/tool.tar.gz", "S=aXbXc", "N=a\nb"}, false);
  CHECK(Word("${P#*/}", env) == "usr/local/bin/tool.tar.gz");
  CHECK(Word("${P##*/}", env) == "tool.tar.gz");
  CHECK(Word("${P%.*}", env) == "/usr/local/bin/tool.tar");
  CHECK(Word("${P%%.*}", env) == "/usr/local/bin/tool");
  CHECK(Word("${P#/usr}", env) == "/local/bin/tool.tar.gz");
  CHECK(Word("${S/X/-}", env) == "a-bXc");
  CHECK(Word("${S//X/-}", env) == "a-b-c");
  // The replacement is expanded first ($0 is an unset variable), then used as a Go template
  // where an escaped \$0 survives to mean "the match".
  CHECK(Word("${S//?/[$0]}", env) == "[][][][][]");
  CHECK(Word("${S//?/\\$0}", env) == "\\a\\X\\b\\X\\c");
  CHECK(Word("${S//\\*/x}", env) == "aXbXc");
  CHECK(Word("${N#*}", env) == "a\nb");  // '*' does not cross a newline
  CHECK(Word("${MISSING//a/b}", env).empty());
  CHECK(TrimPrefixPattern("\\x", "x", false).error().message ==
        "invalid pattern (\\x) in substitution: invalid escape '\\x'");
  CHECK(
      TrimSuffixPattern("ab\\", "b", false).error().message.starts_with("invalid pattern (\\ba)"));
  CHECK(ReplacePattern("", "ab", "-", true).value() == "-a-b-");
}

TEST_CASE("the backtick escape: a backslash is literal, a backtick escapes", "[unit]") {
  EnvList env = EnvList::FromStrings({"X=1"}, true);
  CHECK(Word("C:\\app\\$X", env, '`') == "C:\\app\\1");
  CHECK(Word("a` b`$X", env, '`') == "a b$X");
  CHECK(Word("\"`\"quoted`\"\"", env, '`') == "\"quoted\"");
}

TEST_CASE("Windows targets look variables up case-insensitively", "[unit]") {
  EnvList windows = EnvList::FromStrings({"Path=C:\\Windows"}, true);
  EnvList linux = EnvList::FromStrings({"Path=/bin"}, false);
  CHECK(Word("$PATH;${path}", windows) == "C:\\Windows;C:\\Windows");
  CHECK(Word("[$PATH]", linux) == "[]");
  windows.Set("PATH", "C:\\x");
  CHECK(windows.entries().size() == 1);
  CHECK(windows.ToStrings() == std::vector<std::string>{"PATH=C:\\x"});
}

TEST_CASE("ExpandInstruction expands exactly the words BuildKit expands", "[unit]") {
  Dockerfile df = MustParse(
      "FROM a\nENV $K=$V\nLABEL \"$K\"=\"${V}-label\"\nWORKDIR C:\\$V\nUSER $V\nVOLUME $V /x\n"
      "STOPSIGNAL $SIG\nEXPOSE $PORTS\nARG D=$V\n"
      "COPY --chown=$V --chmod=$MODE <<EOF $V /$V\n$V\nEOF\n"
      "COPY <<'EOF' /q\n$V\nEOF\n"
      "ADD --checksum=$SUM $V /$V\nRUN echo $V\nCMD echo $V\nMAINTAINER $V\nONBUILD RUN $V\n"
      "RUN --mount=type=cache,target=$CACHE,id=$V true\n");
  EnvList env = EnvList::FromStrings(
      {"K=key", "V=val", "SIG=SIGINT", "PORTS=80 443/udp", "MODE=644", "SUM=sha256:1", "CACHE=/c"},
      false);
  std::vector<Instruction>& is = df.stages[0].instructions;
  for (Instruction& i : is) REQUIRE(ExpandInstruction(i, env, df.escape).has_value());
  CHECK(std::get<EnvInstruction>(is[0]).env[0].key == "key");
  CHECK(std::get<EnvInstruction>(is[0]).env[0].value == "val");
  CHECK(std::get<LabelInstruction>(is[1]).labels[0].value == "val-label");
  CHECK(std::get<WorkdirInstruction>(is[2]).path == "C:$V");  // backslash escapes '$' here
  CHECK(std::get<UserInstruction>(is[3]).user == "val");
  CHECK(std::get<VolumeInstruction>(is[4]).volumes == std::vector<std::string>{"val", "/x"});
  CHECK(std::get<StopSignalInstruction>(is[5]).signal == "SIGINT");
  CHECK(std::get<ExposeInstruction>(is[6]).ports == std::vector<std::string>{"80", "443/udp"});
  CHECK(std::get<ArgInstruction>(is[7]).args[0].value == std::optional<std::string>("val"));
  const auto& copy = std::get<CopyInstruction>(is[8]);
  CHECK(copy.chown == "val");
  CHECK(copy.chmod == "644");
  CHECK(copy.files.source_paths == std::vector<std::string>{"val"});
  CHECK(copy.files.dest == "/val");
  CHECK(copy.files.source_contents[0].data == "val\n");
  CHECK(std::get<CopyInstruction>(is[9]).files.source_contents[0].data == "$V\n");
  CHECK(std::get<AddInstruction>(is[10]).checksum == "sha256:1");
  CHECK(std::get<RunInstruction>(is[11]).command.args[0] == "echo $V");
  CHECK(std::get<CmdInstruction>(is[12]).command.args[0] == "echo $V");
  CHECK(std::get<MaintainerInstruction>(is[13]).maintainer == "$V");
  CHECK(std::get<OnbuildInstruction>(is[14]).expression == "RUN $V");
  const auto& run = std::get<RunInstruction>(is[15]);
  REQUIRE(run.mounts_resolved);
  CHECK(run.mounts[0].target == "/c");
  CHECK(run.mounts[0].cache_id == "val");
}

TEST_CASE("heredoc bodies expand variables but keep quotes and backslashes", "[unit]") {
  EnvList env = EnvList::FromStrings({"NAME=kiln"}, false);
  CHECK(ExpandHeredocBody("echo \"hi $NAME\" 'x' \\$NAME\n", env).value() ==
        "echo \"hi kiln\" 'x' $NAME\n");
}

TEST_CASE("predefined args describe the target and build platforms like BuildKit", "[unit]") {
  Platform target{"windows", "amd64", "", "10.0.20348", {}};
  Platform build{"linux", "arm64", "v8", "", {}};
  EnvList args = PredefinedArgs(target, build, "", {{"BUILDOS", "override"}}, true);
  CHECK(args.Get("TARGETPLATFORM") == std::optional<std::string>("windows(10.0.20348)/amd64"));
  CHECK(args.Get("TARGETOS") == std::optional<std::string>("windows"));
  CHECK(args.Get("TARGETOSVERSION") == std::optional<std::string>("10.0.20348"));
  CHECK(args.Get("TARGETARCH") == std::optional<std::string>("amd64"));
  CHECK(args.Get("TARGETVARIANT") == std::optional<std::string>(""));
  CHECK(args.Get("BUILDPLATFORM") == std::optional<std::string>("linux/arm64/v8"));
  CHECK(args.Get("BUILDOS") == std::optional<std::string>("override"));
  CHECK(args.Get("targetstage") == std::optional<std::string>("default"));
  CHECK(args.entries().size() == 11);
}

TEST_CASE("meta ARGs serve FROM lines, a stage sees them only when it redeclares them", "[unit]") {
  Dockerfile df = MustParse(
      "ARG TAG=ltsc2022\nARG IMAGE=mcr.microsoft.com/windows/nanoserver:$TAG\nARG UNSET\n"
      "FROM --platform=windows/amd64 ${IMAGE} AS app\nARG TAG\nARG TARGETOSVERSION\nARG "
      "OTHER=$TAG-x\n");
  Platform target{"windows", "amd64", "", "10.0.17763", {}};
  EnvList global = ResolveMetaArgs(df.meta_args, PredefinedArgs(target, target, "", {}, true),
                                   {{"TAG", "ltsc2019"}}, df.escape)
                       .value();
  CHECK(global.Get("IMAGE") ==
        std::optional<std::string>("mcr.microsoft.com/windows/nanoserver:ltsc2019"));
  CHECK_FALSE(global.Has("UNSET"));
  ResolvedFrom from = ResolveFrom(df.stages[0].from, global, df.escape).value();
  CHECK(from.base_name == "mcr.microsoft.com/windows/nanoserver:ltsc2019");
  REQUIRE(from.platform.has_value());
  CHECK(from.platform->os == "windows");
  // Inside the stage: ARG TAG (no default) inherits the global value; TARGETOSVERSION too.
  EnvList stage(true);
  const auto& decls = df.stages[0].instructions;
  auto value = [&](size_t i, const BuildArgs& build_args = {}) {
    const ArgDecl& d = std::get<ArgInstruction>(decls[i]).args[0];
    auto v = StageArgValue(d, build_args, stage, global, df.escape).value();
    if (v) stage.Set(d.key, *v);
    return v;
  };
  CHECK(value(0) == std::optional<std::string>("ltsc2019"));
  CHECK(value(1) == std::optional<std::string>("10.0.17763"));
  CHECK(value(2) == std::optional<std::string>("ltsc2019-x"));
  CHECK(value(2, {{"OTHER", "given"}}) == std::optional<std::string>("given"));
}

TEST_CASE("FROM lines that expand to nothing fail like BuildKit", "[unit]") {
  Dockerfile df = MustParse("FROM $NOPE\nFROM --platform=$NOPE a\nFROM --platform=bad/ a\n");
  EnvList global;
  CHECK(ResolveFrom(df.stages[0].from, global, '\\').error().ToString() ==
        "Dockerfile:1:1: base name ($NOPE) should not be blank");
  CHECK(ResolveFrom(df.stages[1].from, global, '\\').error().message ==
        "empty platform value from expression $NOPE");
  CHECK(ResolveFrom(df.stages[2].from, global, '\\')
            .error()
            .message.starts_with("failed to parse platform bad/"));
}

TEST_CASE("proxy args are recognised in any case", "[unit]") {
  for (const char* name :
       {"HTTP_PROXY", "http_proxy", "Https_Proxy", "FTP_PROXY", "no_proxy", "ALL_PROXY"}) {
    CHECK(IsProxyArg(name));
  }
  CHECK_FALSE(IsProxyArg("PROXY"));
  CHECK_FALSE(IsProxyArg("HTTP_PROXY_X"));
}
