// ResolveInRoot: paths of a source tree resolved with the tree's root as "/", as BuildKit resolves
// the build context; no symlink leads out of the root.
#include <catch2/catch.hpp>

#include "builder/path_in_root.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::testing;
using builder::ResolveInRoot;

namespace {

std::string Resolved(const TempDir& root, const std::string& path, bool follow_last = true,
                     const builder::HiddenPath& hidden = {}) {
  auto r = ResolveInRoot(root.path().string(), path, follow_last, hidden);
  if (!r) return "error: " + r.error().message;
  return r->rel;
}

}  // namespace

// [posix]: POSIX symlinks ("/", "/etc" targets); also, wine 8.0 cannot create symlinks.
TEST_CASE("symlinks along a path resolve inside the root, wherever they point", "[unit][posix]") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "sub/deeper");
  WriteFile(root / "etc/hostname", "inside");
  fs::create_symlink("/", root / "top");                 // absolute, to the root
  fs::create_symlink("../..", root / "sub/deeper/up");   // climbs above the root
  fs::create_symlink("/etc", root / "sub/abs");          // absolute, re-rooted
  fs::create_symlink("../../../../etc", root / "sub/rel");
  fs::create_symlink("hostname", root / "etc/name");     // relative, last component
  CHECK(Resolved(root, "top/etc/hostname") == "etc/hostname");
  CHECK(Resolved(root, "sub/deeper/up/etc") == "etc");
  CHECK(Resolved(root, "sub/deeper/up/sub/deeper/up/etc/hostname") == "etc/hostname");
  CHECK(Resolved(root, "sub/abs/hostname") == "etc/hostname");
  CHECK(Resolved(root, "sub/rel/name") == "etc/hostname");
  CHECK(Resolved(root, "/sub/../etc/./name") == "etc/hostname");
  CHECK(Resolved(root, "top") == "");
  CHECK(Resolved(root, "../../etc") == "etc");  // ".." stops at the root
  // The last link is kept when not followed; links before it are still resolved.
  CHECK(Resolved(root, "top/etc/name", false) == "etc/name");
  auto r = ResolveInRoot(root.path().string(), "top/etc/name", false);
  REQUIRE(r);
  CHECK(r->st.IsSymlink());
  r = ResolveInRoot(root.path().string(), "top/etc/name", true);
  REQUIRE(r);
  CHECK(r->st.IsRegular());
}

// [posix]: POSIX symlinks ("/", "/etc" targets); also, wine 8.0 cannot create symlinks.
TEST_CASE("missing entries, files used as directories and symlink loops fail", "[unit][posix]") {
  TempDir root;
  WriteFile(root / "file", "x");
  fs::create_symlink("b", root / "a");
  fs::create_symlink("a", root / "b");
  fs::create_symlink("self/x", root / "self");
  CHECK(Resolved(root, "missing") == "error: \"missing\": not found");
  CHECK(Resolved(root, "file/x") == "error: \"file/x\": not found");
  CHECK(Resolved(root, "a") == "error: \"a\": too many levels of symbolic links");
  CHECK(Resolved(root, "self") == "error: \"self\": too many levels of symbolic links");
  CHECK(ResolveInRoot(root.path().string(), "a/x", true).error().code ==
        core::ErrorCode::kInvalidInput);
  CHECK(ResolveInRoot(root.path().string(), "missing", true).error().code ==
        core::ErrorCode::kNotFound);
}

// [posix]: POSIX symlinks ("/", "/etc" targets); also, wine 8.0 cannot create symlinks.
TEST_CASE("a hidden entry is absent whatever path reaches it", "[unit][posix]") {
  TempDir root;
  WriteFile(root / "secret.txt", "s");
  WriteFile(root / "keep.txt", "k");
  fs::create_symlink("secret.txt", root / "link");
  fs::create_symlink(".", root / "self");
  fs::create_symlink("/", root / "top");
  std::vector<std::string> asked;
  auto hidden = [&](std::string_view rel, bool) {
    asked.emplace_back(rel);
    return rel == "secret.txt";
  };
  CHECK(Resolved(root, "link", true, hidden) == "error: \"link\": not found");
  CHECK(Resolved(root, "self/self/secret.txt", true, hidden) ==
        "error: \"self/self/secret.txt\": not found");
  CHECK(Resolved(root, "top/secret.txt", true, hidden) == "error: \"top/secret.txt\": not found");
  CHECK(Resolved(root, "self/keep.txt", true, hidden) == "keep.txt");
  // Not following the last link does not reach what it points at.
  CHECK(Resolved(root, "link", false, hidden) == "link");
  CHECK(std::find(asked.begin(), asked.end(), "self") != asked.end());
}
