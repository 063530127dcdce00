#include "builder/target_path.h"

#include <catch2/catch.hpp>

using namespace kiln::builder;

TEST_CASE("Windows WORKDIR follows docker's normalisation table", "[unit]") {
  struct Row { const char* current; const char* requested; const char* want; };
  Row rows[] = {
      {"", "a", "C:\\a"},           {"", "c:\\foo", "C:\\foo"},     {"", "\\foo", "C:\\foo"},
      {"", "/foo", "C:\\foo"},      {"C:\\foo", "bar", "C:\\foo\\bar"},
      {"C:\\foo", "\\bar", "C:\\bar"}, {"C:\\foo", "c:/bar", "C:\\bar"},
      {"C:\\foo", "..\\..\\x", "C:\\x"}, {"", "C:\\", "C:\\"},
  };
  for (const auto& r : rows) {
    INFO(r.current << " + " << r.requested);
    auto got = NormalizeWorkdir(true, r.current, r.requested);
    REQUIRE(got);
    CHECK(*got == r.want);
  }
  CHECK_FALSE(NormalizeWorkdir(true, "", "C:"));
  CHECK_FALSE(NormalizeWorkdir(true, "", "D:\\data"));
  CHECK_FALSE(NormalizeWorkdir(true, "", "C:\\a:b"));
}

TEST_CASE("Linux WORKDIR joins relative paths to the current one", "[unit]") {
  CHECK(*NormalizeWorkdir(false, "", "app") == "/app");
  CHECK(*NormalizeWorkdir(false, "/app", "src/") == "/app/src");
  CHECK(*NormalizeWorkdir(false, "/app", "/srv//x/.") == "/srv/x");
}

TEST_CASE("COPY destinations resolve against WORKDIR with directory detection", "[unit]") {
  auto d = ResolveDestination(true, "C:\\app", "bin\\");
  REQUIRE(d);
  CHECK(d->path == "/app/bin");
  CHECK(d->is_dir);
  CHECK(ResolveDestination(true, "C:\\app", "c:/tools/x.exe")->path == "/tools/x.exe");
  CHECK_FALSE(ResolveDestination(true, "C:\\app", "c:/tools/x.exe")->is_dir);
  CHECK(ResolveDestination(true, "C:\\app", ".")->is_dir);
  CHECK(ResolveDestination(true, "", "C:\\")->path == "/");
  CHECK(ResolveDestination(false, "/w", "../../etc/")->path == "/etc");
  CHECK_FALSE(ResolveDestination(true, "", "E:/x"));
  CHECK_FALSE(ResolveDestination(true, "", "C:/x:stream"));
}

TEST_CASE("container paths map to layer entry names per flavour", "[unit]") {
  CHECK(LayerName(true, "/app/bin/x.exe") == "Files/app/bin/x.exe");
  CHECK(LayerName(true, "/") == "Files");
  CHECK(LayerName(false, "/usr/bin") == "usr/bin");
  CHECK(LayerName(false, "/") == "");
}
