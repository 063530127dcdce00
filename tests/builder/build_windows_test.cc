// kiln build of COPY-only Windows images on this Linux host, from the synthetic nanoserver base.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "core/media_types.h"
#include "core/platform.h"
#include "layers/layer_check.h"
#include "tests/builder/build_helpers.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

// Case-insensitive count of `what` in `text`.
size_t Occurrences(std::string text, std::string what) {
  for (auto* s : {&text, &what})
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void WriteWindowsContext(const TempDir& dir) {
  WriteFile(dir / "Dockerfile",
            "# escape=`\n"
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
            "ARG GREETING=hello\n"
            "ENV APP_HOME=C:\\app `\n"
            "    GREETING=${GREETING}\n"
            "WORKDIR C:\\app\n"
            "COPY app\\ .\n"
            "COPY [\"notes.txt\", \"c:/docs/\"]\n"
            "USER ContainerUser\n"
            "EXPOSE 8080\n"
            "CMD C:\\app\\hello.cmd --port 8080\n");
  WriteFile(dir / ".dockerignore", "**/*.log\nsecret.txt\n");
  WriteFile(dir / "app/hello.cmd", "@echo %GREETING%\r\n");
  WriteFile(dir / "app/lib/data.bin", std::string(5000, 'x'));
  WriteFile(dir / "app/debug.log", "ignored");
  WriteFile(dir / "notes.txt", "notes");
  WriteFile(dir / "secret.txt", "s3cret");
}

std::vector<std::string> BuildArgs(const TempDir& store, const TempDir& ctx,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--root", store.path().string(), "--progress", "plain", "build",
                                   "--build-context", NanoserverContext("ltsc2022")};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(ctx.path().string());
  return args;
}

}  // namespace

TEST_CASE("a COPY-only Windows Dockerfile builds on Linux into a correct image", "[integration]") {
  TempDir store, ctx;
  WriteWindowsContext(ctx);
  auto r = Kiln(BuildArgs(store, ctx, {"-t", "hello:1"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  StoredImage img = ReadStoredImage(store.path(), "hello:1");
  const auto& c = img.config;
  CHECK(c.os == "windows");
  CHECK(c.os_version == "10.0.20348.2966");
  CHECK(c.config.working_dir == "C:\\app");
  CHECK(c.config.user == "ContainerUser");
  CHECK(c.config.env == std::vector<std::string>{"APP_HOME=C:\\app", "GREETING=hello"});
  REQUIRE(c.config.cmd);
  CHECK(*c.config.cmd == std::vector<std::string>{"cmd /S /C C:\\app\\hello.cmd --port 8080"});
  CHECK(c.config.args_escaped);
  CHECK(c.config.exposed_ports == std::vector<std::string>{"8080/tcp"});
  // No Linux PATH or shell leaks into a Windows config.
  for (const auto& e : c.config.env) CHECK(e.rfind("PATH=", 0) != 0);
  CHECK(c.config.shell.empty());
  // The base layer first, then WORKDIR and the two COPY layers; metadata steps are empty_layer.
  REQUIRE(img.manifest.layers.size() == 4);
  CHECK(c.diff_ids.size() == 4);
  size_t layers_in_history = 0;
  for (const auto& h : c.history) layers_in_history += h.empty_layer ? 0 : 1;
  CHECK(layers_in_history == 4);
  CHECK(c.history.back().created_by == "CMD C:\\app\\hello.cmd --port 8080");
  CHECK(c.history.back().empty_layer);
  // Every new layer passes the Windows-layer checker; the files are where they should be.
  for (size_t i = 1; i < img.manifest.layers.size(); ++i) {
    CHECK(img.manifest.layers[i].media_type == core::media::kOciLayerGzip);
    auto path = store / ("blobs/sha256/" + img.manifest.layers[i].digest.hex());
    auto report = layers::CheckWindowsLayerFile(path.string());
    REQUIRE(report);
    INFO(report->ErrorsText());
    CHECK(report->ok());
  }
  auto listing = Shell("tar -tzf " + (store / ("blobs/sha256/" + img.manifest.layers[2].digest.hex())).string() +
                       " 2>/dev/null");
  CHECK(listing.out == "Files\nHives\nFiles/app\nFiles/app/hello.cmd\nFiles/app/lib\nFiles/app/lib/data.bin\n");
  auto docs = Shell("tar -tzf " + (store / ("blobs/sha256/" + img.manifest.layers[3].digest.hex())).string() +
                    " 2>/dev/null");
  CHECK(docs.out == "Files\nHives\nFiles/docs\nFiles/docs/notes.txt\n");
}

TEST_CASE("a rebuild with nothing changed reuses every layer, one changed file reruns only later steps",
          "[integration]") {
  TempDir store, ctx;
  WriteWindowsContext(ctx);
  REQUIRE(Kiln(BuildArgs(store, ctx, {"-t", "app:1"})).exit_code == 0);
  size_t blobs = CountBlobs(store.path());
  auto again = Kiln(BuildArgs(store, ctx, {"-t", "app:1"}));
  REQUIRE(again.exit_code == 0);
  INFO(again.err);
  // WORKDIR and both COPY steps are cached; nothing but a new config/manifest is written.
  size_t cached = 0, pos = 0;
  while ((pos = again.err.find(": cached", pos)) != std::string::npos) ++cached, ++pos;
  CHECK(cached == 3);
  CHECK(CountBlobs(store.path()) <= blobs + 2);
  WriteFile(ctx / "notes.txt", "changed notes");
  auto changed = Kiln(BuildArgs(store, ctx, {"-t", "app:1"}));
  REQUIRE(changed.exit_code == 0);
  cached = 0, pos = 0;
  while ((pos = changed.err.find(": cached", pos)) != std::string::npos) ++cached, ++pos;
  CHECK(cached == 2);  // WORKDIR and COPY app\ reused; COPY notes.txt rebuilt
  auto forced = Kiln(BuildArgs(store, ctx, {"-t", "app:1", "--no-cache"}));
  REQUIRE(forced.exit_code == 0);
  CHECK(forced.err.find(": cached") == std::string::npos);
}

TEST_CASE("two clean builds with SOURCE_DATE_EPOCH give the same image digest", "[integration]") {
  TempDir store1, store2, ctx;
  WriteWindowsContext(ctx);
  std::map<std::string, std::string> env{{"SOURCE_DATE_EPOCH", "1700000000"}};
  auto a = Run([&] {
    auto v = BuildArgs(store1, ctx, {"-t", "r:1", "--iidfile", (store1 / "iid").string()});
    v.insert(v.begin(), KilnBinary().string());
    return v;
  }(), env);
  REQUIRE(a.exit_code == 0);
  Shell("touch -d '2030-01-01' " + (ctx / "app/hello.cmd").string());  // mtimes past the clamp
  auto b = Run([&] {
    auto v = BuildArgs(store2, ctx, {"-t", "r:1", "--iidfile", (store2 / "iid").string()});
    v.insert(v.begin(), KilnBinary().string());
    return v;
  }(), env);
  REQUIRE(b.exit_code == 0);
  CHECK(ReadFile(store1 / "iid") == ReadFile(store2 / "iid"));
  CHECK(ReadFile(store1 / "iid").rfind("sha256:", 0) == 0);
}

TEST_CASE("a RUN in a Windows stage fails on Linux before any work, naming stage and line",
          "[integration]") {
  TempDir store, ctx;
  WriteFile(ctx / "Dockerfile",
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS app\n"
            "COPY x.txt C:/x.txt\n"
            "RUN echo hi\n");
  WriteFile(ctx / "x.txt", "x");
  auto r = Kiln(BuildArgs(store, ctx));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:3:1: RUN in stage 0 (app) (windows/amd64:10.0.20348.2966) needs a Windows host") == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find("[app 1/2]") == std::string::npos);  // no step started
  // Issue 19: the line says each thing once (it said "needs a Windows host" twice, in two
  // wordings, and named the platform twice).
  INFO(r.err);
  CHECK(Occurrences(r.err, "windows host") == 1);
  CHECK(Occurrences(r.err, "windows/amd64") == 1);
}

TEST_CASE("a RUN for another CPU fails in pre-flight with one line that says each thing once",
          "[integration]") {
  TempDir store, ctx;
  std::string other = core::Platform::HostLinux().architecture == "arm64" ? "amd64" : "arm64";
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY x.txt /x.txt\nRUN [\"/x\"]\n");
  WriteFile(ctx / "x.txt", "x");
  auto r = Kiln({"--root", store.path().string(), "--progress", "plain", "build", "--platform",
                 "linux/" + other, ctx.path().string()});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:3:1: RUN in stage 0") == 0);
  CHECK(r.err.find("does not emulate other CPUs") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(Occurrences(r.err, "linux/" + other) == 1);
  CHECK(Occurrences(r.err, "run steps") == 0);  // "RUN in ...", not "RUN steps for" again
}

TEST_CASE("bad build input gives one located line and exit code 2", "[integration]") {
  TempDir store, ctx;
  WriteFile(ctx / "Dockerfile",
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
            "COPY missing.txt C:/app/\n");
  auto r = Kiln(BuildArgs(store, ctx));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:2:1: \"missing.txt\": file not found in build context") != std::string::npos);
  WriteFile(ctx / "Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nWORKDIR D:\\data\n");
  r = Kiln(BuildArgs(store, ctx));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("Dockerfile:2:1: ") != std::string::npos);
  CHECK(r.err.find("system drive (C:)") != std::string::npos);
  WriteFile(ctx / "Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY --chmod=755 a C:/a\n");
  WriteFile(ctx / "a", "a");
  r = Kiln(BuildArgs(store, ctx));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--chmod is not supported for Windows images") != std::string::npos);
}

TEST_CASE("several Windows versions build into one index whose entries carry os.version",
          "[integration]") {
  TempDir store, ctx;
  WriteFile(ctx / "Dockerfile",
            "FROM mcr.microsoft.com/windows/nanoserver:multi\n"
            "ARG TARGETOSVERSION\n"
            "ENV BUILT_FOR=${TARGETOSVERSION}\n"
            "COPY a.txt C:/a.txt\n");
  WriteFile(ctx / "a.txt", "a");
  auto r = Kiln({"--root", store.path().string(), "build", "-t", "multi:1", "--platform",
                 "windows/amd64:10.0.17763,windows/amd64:10.0.20348", "--build-context",
                 NanoserverContext("multi"), ctx.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  StoredImage img = ReadStoredImage(store.path(), "multi:1");
  REQUIRE(core::media::IsIndex(img.top.media_type));
  auto index = core::Index::Parse(img.top_bytes);
  REQUIRE(index);
  REQUIRE(index->manifests.size() == 2);
  CHECK(index->manifests[0].platform->os_version == "10.0.17763.6659");
  CHECK(index->manifests[1].platform->os_version == "10.0.20348.2966");
  auto old = ReadStoredImage(store.path(), "multi:1", "10.0.17763");
  CHECK(old.config.os_version == "10.0.17763.6659");
  CHECK(old.config.config.env == std::vector<std::string>{"BUILT_FOR=10.0.17763"});
}
