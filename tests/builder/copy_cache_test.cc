// COPY from the build context at the layer-writing bound (issue 16): a cold step reads each
// file once (hashed while the layer is written), OCI-layout outputs link the store's blobs,
// and the cache key covers exactly what it did (a changed file misses, whichever path hashed).

#include <catch2/catch.hpp>
#include <algorithm>
#include <iostream>

#include "builder/build_context.h"
#include "tests/builder/build_helpers.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

void WriteContext(const TempDir& ctx) {
  WriteFile(ctx / "Dockerfile", "FROM scratch\nCOPY app /app\nCOPY one.txt /one.txt\n");
  WriteFile(ctx / "app/a.txt", "alpha");
  WriteFile(ctx / "app/sub/b.bin", std::string(70000, 'b'));
  WriteFile(ctx / "one.txt", "one");
}

CommandResult Build(const TempDir& store, const TempDir& ctx, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--root", store.path().string(), "--progress", "plain", "build"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(ctx.path().string());
  return Kiln(args);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a cold COPY opens each context file once", "[integration]") {
  if (Shell("command -v strace").exit_code != 0) {
    std::cout << "kiln-skip: strace is not installed" << std::endl;
    return;
  }
  TempDir store, ctx;
  WriteContext(ctx);
  auto r = Shell("strace -f -qq -e trace=open,openat -o " + (store / "trace").string() + " " +
                 KilnBinary().string() + " --root " + store.path().string() +
                 " --progress plain build -t t:1 " + ctx.path().string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string trace = ReadFile(store / "trace");
  // Once to hash and write it, not once to hash and again to write.
  CHECK(Count(trace, "/app/sub/b.bin\"") == 1);
  CHECK(Count(trace, "/one.txt\"") == 1);
}

// A fresh runner (no memo) hashes every context file before the key, on a pool of threads: each
// file is opened once and, when small, read once (the read that would return 0 at its end is
// saved); the walk's .dockerignore answers (exceptions included) and the key are unchanged, so
// the step is a hit on what a build that hashed while writing recorded.
TEST_CASE("a COPY hashed before its key reads each context file once, in one read when small",
          "[integration]") {
  if (Shell("command -v strace").exit_code != 0) {
    std::cout << "kiln-skip: strace is not installed" << std::endl;
    return;
  }
  TempDir store, ctx;
  WriteContext(ctx);
  for (int i = 0; i < 40; ++i) WriteFile(ctx / ("app/many/f" + std::to_string(i)), std::to_string(i));
  WriteFile(ctx / "app/sub/x.tmp", "ignored");
  WriteFile(ctx / "app/sub/keep.tmp", "kept");
  WriteFile(ctx / ".dockerignore", "app/sub/*.tmp\n!app/sub/keep.tmp\n");
  auto first = Build(store, ctx, {"-t", "t:1", "--no-cache"});  // hashed while written
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  fs::remove_all(store / "cache/context");
  auto r = Shell("strace -f -qq -y -e trace=openat,read -o " + (store / "trace").string() + " " +
                 KilnBinary().string() + " --root " + store.path().string() +
                 " --progress plain build -t t:1 " + ctx.path().string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Count(r.err, ": cached") == 2);
  std::string trace = ReadFile(store / "trace");
  for (std::string name : {"/one.txt", "/app/a.txt", "/app/sub/b.bin", "/app/sub/keep.tmp",
                           "/app/many/f0", "/app/many/f39"}) {
    INFO(name);
    CHECK(Count(trace, name + "\", O_RDONLY") == 1);  // opened once
    CHECK(Count(trace, name + ">, ") == 1);            // read once (-y shows the fd's path)
  }
  CHECK(Count(trace, "x.tmp") == 0);
}

TEST_CASE("the cache key covers the same content whether files were hashed first or while written",
          "[integration]") {
  TempDir store, ctx;
  WriteContext(ctx);
  // --no-cache: hashed while the layer is written; the records must serve the next build.
  auto first = Build(store, ctx, {"-t", "t:1", "--no-cache"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto again = Build(store, ctx, {"-t", "t:1"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(Count(again.err, ": cached") == 2);
  // Without the memo, every file is read again before the key (a record may match): hits.
  fs::remove_all(store / "cache/context");
  auto no_memo = Build(store, ctx, {"-t", "t:1"});
  INFO(no_memo.err);
  REQUIRE(no_memo.exit_code == 0);
  CHECK(Count(no_memo.err, ": cached") == 2);
  // A changed file misses, even with its size and mtime put back (the last step: the first
  // stays cached).
  Shell("touch -d '2024-01-01 00:00:00' " + (ctx / "one.txt").string());
  REQUIRE(Count(Build(store, ctx, {"-t", "t:1"}).err, ": cached") == 2);  // memo refreshed
  WriteFile(ctx / "one.txt", "ONE");
  Shell("touch -d '2024-01-01 00:00:00' " + (ctx / "one.txt").string());
  auto changed = Build(store, ctx, {"-t", "t:1"});
  INFO(changed.err);
  REQUIRE(changed.exit_code == 0);
  CHECK(Count(changed.err, ": cached") == 1);  // COPY app only
  CHECK(changed.err.find("COPY one.txt /one.txt: done") != std::string::npos);
  // The same change seen by a cold step of a fresh store misses too (no record there at all),
  // and its key is then the one a warm rebuild of the fresh store finds.
  TempDir store2;
  REQUIRE(Build(store2, ctx, {"-t", "t:1"}).exit_code == 0);
  auto warm2 = Build(store2, ctx, {"-t", "t:1"});
  CHECK(Count(warm2.err, ": cached") == 2);
  auto layers1 = ReadStoredImage(store.path(), "t:1").manifest.layers;
  auto layers2 = ReadStoredImage(store2.path(), "t:1").manifest.layers;
  REQUIRE(layers1.size() == layers2.size());
  for (size_t n = 0; n < layers1.size(); ++n) CHECK(layers1[n].digest == layers2[n].digest);
}

TEST_CASE("an OCI-layout output links the store's layer blobs instead of copying them",
          "[integration]") {
  TempDir store, ctx, out;
  WriteContext(ctx);
  auto r = Build(store, ctx, {"-t", "t:1", "-o", "type=oci,dest=" + (out / "layout").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  StoredImage img = ReadStoredImage(store.path(), "t:1");
  REQUIRE(img.manifest.layers.size() == 2);
  for (const auto& layer : img.manifest.layers) {
    std::string rel = "blobs/sha256/" + layer.digest.hex();
    auto in_store = LinkStatus(store / rel), in_out = LinkStatus(out / "layout" / rel);
    REQUIRE(in_store);
    REQUIRE(in_out);
    // Same file system here: a hard link (ext4, tmpfs) or a reflink (btrfs, xfs: own inode).
    bool linked = in_store->inode == in_out->inode;
    bool cloned = Shell("stat -f -c %T " + out.path().string() + " | grep -qE 'btrfs|xfs'").exit_code == 0;
    CHECK((linked || cloned));
    CHECK(ReadFile(out / "layout" / rel) == ReadFile(store / rel));
  }
  // Writing the same layout again keeps it valid (existing blobs are left alone).
  auto again = Build(store, ctx, {"-t", "t:1", "-o", "type=oci,dest=" + (out / "layout").string()});
  INFO(again.err);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a context walk hands out entries sorted by path, a subtree after name.txt and name-x",
          "[unit]") {
  TempDir ctx;
  for (const char* f : {"src/a.b", "src/a-c", "src/a/x/f", "src/a0", "src/a/y", "src/b/c/d/e",
                        "src/Z", "src/a/x.txt", "src/a/x-"})
    WriteFile(ctx / f, "x");
  fs::create_directories(ctx / "src/empty");
  auto context = builder::BuildContext::Open(ctx.path().string(), {}, "");
  REQUIRE(context);
  auto src = (*context)->Resolve("src");
  REQUIRE(src);
  std::vector<std::string> seen;
  REQUIRE((*context)->WalkEach(*src, [&](builder::ContextEntry&& e) -> core::Status {
    seen.push_back(e.rel);
    return {};
  }));
  // What the cache key's material order has always been: byte order of the whole path.
  std::vector<std::string> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  CHECK(seen == sorted);
  CHECK(seen.size() == 15);  // 9 files, 6 directories
  auto walked = (*context)->Walk(*src);
  REQUIRE(walked);
  REQUIRE(walked->size() == seen.size());
  for (size_t i = 0; i < seen.size(); ++i) CHECK((*walked)[i].rel == seen[i]);
}

TEST_CASE("a context memo that cannot be written is a warning, not a failed build", "[integration]") {
  TempDir store, ctx;
  WriteContext(ctx);
  // The memo's folder is taken by a file: the memo (written beside the outputs) cannot be saved.
  REQUIRE(Build(store, ctx, {"-t", "t:0"}).exit_code == 0);
  fs::remove_all(store / "cache/context");
  WriteFile(store / "cache/context", "not a directory");
  auto r = Build(store, ctx, {"-t", "t:1", "--no-cache"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("warning: the context memo was not saved") != std::string::npos);
  CHECK(ReadStoredImage(store.path(), "t:1").manifest.layers.size() == 2);
}
