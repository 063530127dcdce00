// The build context is a boundary (docs/security.md, "Build context"): COPY and ADD sources are
// resolved inside the context, symlinks evaluated with the context as "/" (as BuildKit does), for
// Windows and Linux targets; .dockerignore'd files cannot be reached through any symlink; the
// cache key hashes what is copied, never a file outside the context.
#include <catch2/catch.hpp>

#include "tests/builder/build_helpers.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

struct Target {
  bool windows;
  std::string from;  // FROM line
  std::string root;  // destination prefix ("/" or "C:/")
  std::string files; // where the image's files are in an extracted layer ("" or "Files/")
};

Target Linux() { return {false, "FROM scratch\n", "/", ""}; }
Target Windows() {
  return {true, "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n", "C:/", "Files/"};
}

CommandResult Build(const Target& target, const TempDir& store, const fs::path& ctx,
                    const std::string& tag) {
  std::vector<std::string> args = {"--root", store.path().string(), "--progress", "plain",
                                   "build", "-t", tag};
  if (target.windows) {
    args.push_back("--build-context");
    args.push_back(NanoserverContext("ltsc2022"));
  }
  args.push_back(ctx.string());
  return Kiln(args);
}

// Extracts the image's last layer into `dir`.
void ExtractTopLayer(const TempDir& store, const std::string& tag, const fs::path& dir) {
  StoredImage img = ReadStoredImage(store.path(), tag);
  REQUIRE(!img.manifest.layers.empty());
  fs::create_directories(dir);
  auto blob = store / ("blobs/sha256/" + img.manifest.layers.back().digest.hex());
  auto r = Run({"tar", "-xzf", blob.string(), "-C", dir.string()});
  REQUIRE(r.exit_code == 0);
}

// A context at t/ctx with a symlink to a directory at the start, in the middle and at the end of
// a source path, each of which leads out of the context when followed on the host; inside the
// context, decoys sit where BuildKit's resolution (context as "/") lands.
fs::path WriteEscapingContext(const TempDir& t) {
  fs::path ctx = t / "ctx";
  fs::create_directories(ctx / "sub");
  fs::create_symlink("/", ctx / "root");                         // start: root/etc/hostname
  WriteFile(ctx / "etc/hostname", "inside-etc\n");
  fs::create_symlink("../..", ctx / "sub/up");                   // middle: sub/up/data.txt
  WriteFile(t / "data.txt", "OUTSIDE-data");
  WriteFile(ctx / "data.txt", "inside-data");
  fs::path outside = t / "outside";                              // end: dir
  WriteFile(outside / "secret.txt", "OUTSIDE-end");
  fs::create_symlink(outside, ctx / "dir");
  WriteFile(ctx / outside.relative_path() / "inside-end.txt", "inside-end");
  return ctx;
}

void CheckConfined(const Target& target, const std::string& keyword) {
  TempDir store, t;
  fs::path ctx = WriteEscapingContext(t);
  const std::string r = target.root;
  struct Case {
    std::string where, line, file, want;
  };
  std::vector<Case> cases = {
      {"start", keyword + " root/etc/hostname " + r + "start/", "start/hostname", "inside-etc\n"},
      {"middle", keyword + " sub/up/data.txt " + r + "middle/", "middle/data.txt", "inside-data"},
      {"end", keyword + " dir " + r + "end/", "end/inside-end.txt", "inside-end"},
  };
  int n = 0;
  for (const auto& c : cases) {
    INFO(keyword << " with a symlinked directory at the " << c.where << " of the source path ("
                 << (target.windows ? "Windows" : "Linux") << " target)");
    WriteFile(ctx / "Dockerfile", target.from + c.line + "\n");
    std::string tag = "confined:" + std::to_string(++n);
    auto built = Build(target, store, ctx, tag);
    INFO(built.err);
    CHECK(built.exit_code == 0);
    if (built.exit_code != 0) continue;
    fs::path out = t / ("layer" + std::to_string(n));
    ExtractTopLayer(store, tag, out);
    fs::path got = out / (target.files + c.file);
    CHECK(fs::exists(got));
    if (fs::exists(got)) CHECK(ReadFile(got) == c.want);
    // Nothing from outside the context: no host file, no OUTSIDE bytes.
    auto outside = Run({"grep", "-r", "-l", "OUTSIDE", out.string()});
    CHECK(outside.out.empty());
    CHECK(!fs::exists(out / (target.files + "end/secret.txt")));
  }
}

// A context whose .dockerignore hides secret.txt and secretdir, with symlinks that reach them.
fs::path WriteIgnoreContext(const TempDir& t) {
  fs::path ctx = t / "ctx";
  WriteFile(ctx / ".dockerignore", "secret.txt\nsecretdir\n");
  WriteFile(ctx / "secret.txt", "s3cret-file");
  WriteFile(ctx / "secretdir/key.txt", "s3cret-dir");
  WriteFile(ctx / "keep.txt", "kept");
  fs::create_symlink("secret.txt", ctx / "link");
  fs::create_symlink(".", ctx / "self");
  fs::create_symlink("secretdir", ctx / "dlink");
  fs::create_symlink("/secretdir", ctx / "alink");
  return ctx;
}

void CheckIgnoredUnreachable(const Target& target, const std::string& keyword) {
  TempDir store, t;
  fs::path ctx = WriteIgnoreContext(t);
  const std::string r = target.root;
  int n = 0;
  for (std::string source : {"link", "self/secret.txt", "dlink/key.txt", "alink/key.txt",
                             "self/secretdir", "self/self/secret.txt"}) {
    INFO(keyword << " " << source << " (" << (target.windows ? "Windows" : "Linux") << " target)");
    WriteFile(ctx / "Dockerfile", target.from + keyword + " " + source + " " + r + "x/\n");
    auto built = Build(target, store, ctx, "ignored:" + std::to_string(++n));
    INFO(built.err);
    CHECK(built.exit_code == 2);
    CHECK(built.err.find("file not found in build context or excluded by .dockerignore") !=
          std::string::npos);
  }
  // The whole context through a symlink to it: everything but the ignored files.
  WriteFile(ctx / "Dockerfile", target.from + keyword + " self " + r + "all/\n");
  auto built = Build(target, store, ctx, "ignored:all");
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  fs::path out = t / "all";
  ExtractTopLayer(store, "ignored:all", out);
  fs::path all = out / (target.files + "all");
  CHECK(ReadFile(all / "keep.txt") == "kept");
  CHECK(fs::is_symlink(all / "self"));  // links inside a copied tree stay links
  CHECK(!fs::exists(fs::symlink_status(all / "secret.txt")));
  CHECK(!fs::exists(fs::symlink_status(all / "secretdir")));
  auto leaked = Run({"grep", "-r", "-l", "s3cret", out.string()});
  CHECK(leaked.out.empty());
}

}  // namespace

TEST_CASE("COPY resolves symlinked directories at the start, middle and end of a source path inside the context",
          "[integration]") {
  CheckConfined(Linux(), "COPY");
  CheckConfined(Windows(), "COPY");
}

TEST_CASE("ADD resolves symlinked directories at the start, middle and end of a source path inside the context",
          "[integration]") {
  CheckConfined(Linux(), "ADD");
  CheckConfined(Windows(), "ADD");
}

TEST_CASE("a .dockerignore'd file cannot be copied through a symlink, for COPY and ADD",
          "[integration]") {
  CheckIgnoredUnreachable(Linux(), "COPY");
  CheckIgnoredUnreachable(Windows(), "COPY");
  CheckIgnoredUnreachable(Linux(), "ADD");
  CheckIgnoredUnreachable(Windows(), "ADD");
}

TEST_CASE("the cache key of a COPY through a symlink hashes the file inside the context, not the host's",
          "[integration]") {
  TempDir store, t;
  fs::path ctx = WriteEscapingContext(t);
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY sub/up/data.txt /middle/\n");
  auto first = Build(Linux(), store, ctx, "key:1");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // A file outside the context is no input of the build: changing it changes nothing.
  WriteFile(t / "data.txt", "OUTSIDE-data, changed");
  auto second = Build(Linux(), store, ctx, "key:1");
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("COPY sub/up/data.txt /middle/: cached") != std::string::npos);
  // The file the path resolves to is: changing it reruns the step.
  WriteFile(ctx / "data.txt", "inside-data, changed");
  auto third = Build(Linux(), store, ctx, "key:1");
  INFO(third.err);
  REQUIRE(third.exit_code == 0);
  CHECK(third.err.find("COPY sub/up/data.txt /middle/: cached") == std::string::npos);
}

TEST_CASE("a symlink loop in a source path fails with a clear error", "[integration]") {
  TempDir store, t;
  fs::path ctx = t / "ctx";
  fs::create_directories(ctx);
  fs::create_symlink("b", ctx / "a");
  fs::create_symlink("a", ctx / "b");
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY a/x /x\n");
  auto built = Build(Linux(), store, ctx, "loop:1");
  CHECK(built.exit_code == 2);
  // The error is the last line (progress comes before it).
  std::string err = built.err.substr(0, built.err.size() - 1);
  std::string last = err.substr(err.rfind('\n') + 1);
  CHECK(last.find("Dockerfile:2:1: ") == 0);
  CHECK(last.find("too many levels of symbolic links") != std::string::npos);
}
