// Typed instructions and stages: arguments, flags, mounts, healthchecks, comments, and the
// facts BuildKit's instructions tests assert.
#include <catch2/catch.hpp>

#include "parser/dockerfile.h"

using namespace kiln::parser;

namespace {

Dockerfile MustParse(std::string_view text) {
  auto df = ParseDockerfile(text);
  if (!df) FAIL(df.error().ToString());
  return std::move(*df);
}

template <typename T>
const T& At(const Dockerfile& df, size_t stage, size_t i) {
  const auto* p = std::get_if<T>(&df.stages.at(stage).instructions.at(i));
  REQUIRE(p != nullptr);
  return *p;
}

std::string ErrorOf(std::string_view text) {
  auto df = ParseDockerfile(text);
  REQUIRE_FALSE(df.has_value());
  return df.error().message;
}

}  // namespace

TEST_CASE("stages group instructions, meta ARGs come before the first FROM", "[unit]") {
  Dockerfile df = MustParse(
      "# foo sets foo\nARG foo=bar\n\n# base defines first stage\nFROM busybox AS Base\n"
      "# this is irrelevant\nARG foo\n# bar defines bar\n# baz is something else\nARG bar baz=123\n"
      "FROM --platform=$BUILDPLATFORM base\nRUN ls\n");
  REQUIRE(df.meta_args.size() == 1);
  CHECK(df.meta_args[0].args[0] == ArgDecl{"foo", "bar", "sets foo"});
  REQUIRE(df.stages.size() == 2);
  CHECK(df.stages[0].name == "base");
  CHECK(df.stages[0].doc_comment == "defines first stage");
  CHECK(At<ArgInstruction>(df, 0, 0).args[0] == ArgDecl{"foo", std::nullopt, ""});
  const auto& two = At<ArgInstruction>(df, 0, 1);
  CHECK(two.args[0] == ArgDecl{"bar", std::nullopt, "defines bar"});
  CHECK(two.args[1] == ArgDecl{"baz", "123", "is something else"});
  CHECK(df.stages[1].from.platform == "$BUILDPLATFORM");
  CHECK(df.stages[1].from.base_name == "base");
  CHECK(df.FindStage("BASE") == 0u);
  CHECK(df.FindStage("1") == 1u);
  CHECK_FALSE(df.FindStage("2").has_value());
}

TEST_CASE("each instruction keeps its text and location for history and cache keys", "[unit]") {
  Dockerfile df = MustParse("FROM a\n  RUN echo a \\\n     b   \nCOPY x y\n");
  const auto& run = At<RunInstruction>(df, 0, 0);
  CHECK(run.original == "RUN echo a      b");
  CHECK(run.range.start == kiln::core::SourcePos{2, 3});
  CHECK(run.range.end.line == 3);
  CHECK(run.keyword == "RUN");
  CHECK(At<CopyInstruction>(df, 0, 1).range.start.line == 4);
}

TEST_CASE("COPY and ADD flags and sources, including heredoc sources", "[unit]") {
  Dockerfile df = MustParse(
      "FROM a\n"
      "COPY --from=build --chown=1000:1000 --chmod=755 --link --parents --exclude=*.md "
      "--exclude=tmp a b /dst/\n"
      "ADD --checksum=sha256:abc --keep-git-dir=false --unpack --link https://x/y.tar /z\n"
      "COPY <<-one \"<<two\" /etc/\n\thello $X\none\n"
      "COPY [\"C:\\\\app\\\\a b\", \"C:\\\\dst\\\\\"]\n");
  const auto& copy = At<CopyInstruction>(df, 0, 0);
  CHECK(copy.from == "build");
  CHECK(copy.chown == "1000:1000");
  CHECK(copy.chmod == "755");
  CHECK(copy.link);
  CHECK(copy.parents);
  CHECK(copy.exclude == std::vector<std::string>{"*.md", "tmp"});
  CHECK(copy.files.source_paths == std::vector<std::string>{"a", "b"});
  CHECK(copy.files.dest == "/dst/");
  const auto& add = At<AddInstruction>(df, 0, 1);
  CHECK(add.checksum == "sha256:abc");
  CHECK(add.keep_git_dir == std::optional<bool>(false));
  CHECK(add.unpack == std::optional<bool>(true));
  CHECK(add.link);
  const auto& docs = At<CopyInstruction>(df, 0, 2);
  REQUIRE(docs.files.source_contents.size() == 1);
  CHECK(docs.files.source_contents[0].path == "one");
  CHECK(docs.files.source_contents[0].data == "hello $X\n");
  CHECK(docs.files.source_contents[0].expand);
  CHECK(docs.files.source_paths == std::vector<std::string>{"\"<<two\""});
  const auto& json = At<CopyInstruction>(df, 0, 3);
  CHECK(json.files.source_paths == std::vector<std::string>{"C:\\app\\a b"});
  CHECK(json.files.dest == "C:\\dst\\");
}

TEST_CASE("RUN flags: mounts of every type, network, security, devices", "[unit]") {
  Dockerfile df = MustParse(
      "FROM a\n"
      "RUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0700,uid=1 "
      "--mount=type=bind,from=build,source=/out,target=/in,rw "
      "--mount=type=tmpfs,target=/tmp,size=64m --mount=type=secret,id=tok,env=TOKEN,required "
      "--mount=type=ssh --mount=target=/x,src=$DIR --network=none --security=insecure "
      "--device=gpu0,required make\n"
      "RUN [\"cmd\", \"/c\", \"dir\"]\n");
  const auto& run = At<RunInstruction>(df, 0, 0);
  CHECK(run.network == "none");
  CHECK(run.security == "insecure");
  CHECK(run.devices == std::vector<RunDevice>{{"gpu0", true}});
  CHECK(run.mount_specs.size() == 6);
  CHECK_FALSE(run.mounts_resolved);  // the last one needs $DIR
  CHECK(run.command.args == std::vector<std::string>{"make"});
  CHECK(run.command.prepend_shell);
  CHECK(run.flags_used == std::vector<std::string>{"device", "mount", "network", "security"});
  Dockerfile resolved = MustParse(
      "FROM a\nRUN --mount=type=cache,target=/c,id=pip,sharing=locked,mode=0700,uid=1 "
      "--mount=type=bind,from=build,source=/out,target=/in,rw "
      "--mount=type=tmpfs,target=/t,size=64m "
      "--mount=type=secret,id=tok,env=TOKEN,required --mount=type=ssh true\n");
  const auto& r = At<RunInstruction>(resolved, 0, 0);
  REQUIRE(r.mounts_resolved);
  REQUIRE(r.mounts.size() == 5);
  CHECK(r.mounts[0].type == "cache");
  CHECK(r.mounts[0].cache_id == "pip");
  CHECK(r.mounts[0].sharing == "locked");
  CHECK(r.mounts[0].mode == std::optional<uint64_t>(0700));
  CHECK(r.mounts[0].uid == std::optional<uint64_t>(1));
  CHECK_FALSE(r.mounts[0].read_only);
  CHECK(r.mounts[1].from == "build");
  CHECK_FALSE(r.mounts[1].read_only);
  CHECK(r.mounts[2].size_limit == 64 * 1024 * 1024);
  CHECK(r.mounts[3].env == std::optional<std::string>("TOKEN"));
  CHECK(r.mounts[3].required);
  CHECK(r.mounts[3].read_only);
  CHECK(r.mounts[4].type == "ssh");
  const auto& exec = At<RunInstruction>(df, 0, 1);
  CHECK(exec.command.args == std::vector<std::string>{"cmd", "/c", "dir"});
  CHECK_FALSE(exec.command.prepend_shell);
}

TEST_CASE("RUN heredocs become inline files", "[unit]") {
  Dockerfile df = MustParse("FROM a\nRUN <<-EOF python3\n\tprint('hi')\nEOF\n");
  const auto& run = At<RunInstruction>(df, 0, 0);
  REQUIRE(run.command.files.size() == 1);
  CHECK(run.command.files[0].name == "EOF");
  CHECK(run.command.files[0].data == "\tprint('hi')\n");
  CHECK(run.command.files[0].chomp);
  CHECK(run.command.args == std::vector<std::string>{"<<-EOF python3"});
}

TEST_CASE("HEALTHCHECK: NONE, CMD and CMD-SHELL, durations in nanoseconds", "[unit]") {
  Dockerfile df = MustParse(
      "FROM a\nHEALTHCHECK NONE\n"
      "HEALTHCHECK --interval=1m30s --timeout=3s --start-period=1.5s --start-interval=500ms "
      "--retries=3 CMD curl -f http://localhost/\n"
      "HEALTHCHECK cmd [\"ping\", \"-n\", \"1\", \"localhost\"]\n");
  CHECK(At<HealthcheckInstruction>(df, 0, 0).test == std::vector<std::string>{"NONE"});
  const auto& h = At<HealthcheckInstruction>(df, 0, 1);
  CHECK(h.test == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/"});
  CHECK(h.interval_ns == 90'000'000'000);
  CHECK(h.timeout_ns == 3'000'000'000);
  CHECK(h.start_period_ns == 1'500'000'000);
  CHECK(h.start_interval_ns == 500'000'000);
  CHECK(h.retries == 3);
  CHECK(At<HealthcheckInstruction>(df, 0, 2).test ==
        std::vector<std::string>{"CMD", "ping", "-n", "1", "localhost"});
}

TEST_CASE("other instructions: ENV forms, EXPOSE sorted, VOLUME, ONBUILD text, SHELL", "[unit]") {
  Dockerfile df = MustParse(
      "FROM a\nENV A 1 2\nENV B=\"x y\" C=z\nEXPOSE 8080 443/tcp 80\nVOLUME [\"C:\\\\data\", "
      "\"/x\"]\n"
      "ONBUILD  RUN <<EOF\necho hi\nEOF\nSHELL [\"powershell\", \"-Command\"]\nENTRYPOINT []\n"
      "CMD []\nSTOPSIGNAL --any SIGTERM\nMAINTAINER Jane <j@example.com>\nUSER ContainerUser\n");
  CHECK(At<EnvInstruction>(df, 0, 0).env == std::vector<KeyValue>{{"A", "1 2", true}});
  CHECK(At<EnvInstruction>(df, 0, 1).env ==
        std::vector<KeyValue>{{"B", "\"x y\"", false}, {"C", "z", false}});
  CHECK(At<ExposeInstruction>(df, 0, 2).ports == std::vector<std::string>{"443/tcp", "80", "8080"});
  CHECK(At<VolumeInstruction>(df, 0, 3).volumes == std::vector<std::string>{"C:\\data", "/x"});
  CHECK(At<OnbuildInstruction>(df, 0, 4).expression == "RUN <<EOF\necho hi\nEOF");
  CHECK(At<ShellInstruction>(df, 0, 5).shell == std::vector<std::string>{"powershell", "-Command"});
  CHECK(At<EntrypointInstruction>(df, 0, 6).command.args.empty());
  CHECK_FALSE(At<CmdInstruction>(df, 0, 7).command.prepend_shell);
  CHECK(At<StopSignalInstruction>(df, 0, 8).signal == "SIGTERM");  // flags not checked
  CHECK(At<MaintainerInstruction>(df, 0, 9).maintainer == "Jane <j@example.com>");
  CHECK(At<UserInstruction>(df, 0, 10).user == "ContainerUser");
}

TEST_CASE("BuildKit's instruction errors: argument counts, flags, triggers", "[unit]") {
  for (const char* cmd : {"MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"}) {
    CHECK(ErrorOf(std::string("FROM a\n") + cmd) ==
          std::string(cmd) + " requires exactly one argument");
  }
  for (const char* cmd : {"ENV", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME"}) {
    CHECK(ErrorOf(std::string("FROM a\n") + cmd) ==
          std::string(cmd) + " requires at least one argument");
  }
  CHECK(ErrorOf("FROM a\nCOPY\t\n\t\tquux \\\n      bar")
            .starts_with("COPY requires at least two arguments"));
  CHECK(ErrorOf("FROM a\nMAINTAINER --boo joe@example.com") == "unknown flag: --boo");
  CHECK(ErrorOf("FROM a\nfoo bar") == "unknown instruction: foo (did you mean from?)");
  // Like BuildKit, mount options are checked when the stage is expanded, not when parsed.
  auto deferred = ParseDockerfile("FROM a\nRUN --mount=type=cache,target=/c,mode=8 x");
  REQUIRE(deferred.has_value());
  CHECK_FALSE(At<RunInstruction>(*deferred, 0, 0).mounts_resolved);
}

TEST_CASE("ONBUILD triggers of a base image parse into instructions", "[unit]") {
  kiln::core::SourceRange at{"Dockerfile", {3, 1}, {3, 10}};
  auto triggers = ParseOnbuildTriggers({"RUN echo built", "COPY . /app"}, at);
  REQUIRE(triggers.has_value());
  REQUIRE(triggers->size() == 2);
  CHECK(Base((*triggers)[1]).range == at);
  auto bad = ParseOnbuildTriggers({"FROM x"}, at);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().ToString() == "Dockerfile:3:1: FROM isn't allowed as an ONBUILD trigger");
  CHECK_FALSE(ParseOnbuildTriggers({"RUN a\nRUN b"}, at).has_value());
}
