#include <catch2/catch.hpp>

#include <filesystem>

#include "layers/store.h"
#include "tests/layers/store_fixture.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
using namespace kiln::layers::testutil;
namespace fs = std::filesystem;

TEST_CASE("a new store is an OCI image layout", "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  CHECK(testing::ReadFile(dir / "store/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  auto index = core::Index::Parse(testing::ReadFile(dir / "store/index.json"));
  REQUIRE(index);
  CHECK(index->manifests.empty());
  for (const char* sub : {"blobs/sha256", "cache", "tmp", "remote/sha256"})
    CHECK(fs::is_directory(dir / "store" / sub));
}

TEST_CASE("blobs are stored under their digest and verified when read", "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  auto d = Put(*s, "hello blob");
  CHECK(d.digest == core::Digest::Sha256Of("hello blob"));
  CHECK(d.size == 10);
  CHECK(s->Has(d.digest));
  CHECK(*s->Size(d.digest) == 10);
  CHECK(*ReadBlob(*s, d.digest) == "hello blob");
  CHECK(testing::ReadFile(s->BlobPath(d.digest)) == "hello blob");
  testing::WriteFile(s->BlobPath(d.digest), "hellO blob");  // bit rot
  auto bad = ReadBlob(*s, d.digest);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == core::ErrorCode::kConflict);
  CHECK(bad.error().message.find("is corrupt") != std::string::npos);
  auto missing = s->Open(core::Digest::Sha256Of("nope"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == core::ErrorCode::kNotFound);
}

TEST_CASE("a blob with the wrong digest or an abandoned write leaves nothing behind", "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  {
    auto w = s->NewWriter();
    REQUIRE(w);
    REQUIRE((*w)->Write("partial"));
    CHECK(CountFiles(dir / "store/tmp") == 1);
  }  // destroyed without Commit (error, Ctrl-C)
  CHECK(CountFiles(dir / "store/tmp") == 0);
  auto want = core::Digest::Sha256Of("expected");
  core::StringReader r("something else");
  auto d = s->Put(r, "x/y", &want);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == core::ErrorCode::kConflict);
  CHECK(CountFiles(dir / "store/blobs/sha256") == 0);
  CHECK(CountFiles(dir / "store/tmp") == 0);
}

TEST_CASE("names are normalised docker-style and kept in index.json", "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  auto m = PutManifest(*s, {"layer"});
  REQUIRE(s->Tag("app", m));
  REQUIRE(s->Tag("localhost:5000/team/app:v1", m));
  CHECK(s->Resolve("docker.io/library/app:latest")->digest == m.digest);
  CHECK(s->Resolve("app:latest")->digest == m.digest);
  CHECK(s->Resolve("localhost:5000/team/app:v1")->digest == m.digest);
  CHECK(s->Resolve("app@" + m.digest.ToString())->media_type == core::media::kOciManifest);
  auto list = s->List();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "docker.io/library/app:latest");
  CHECK((*list)[1].name == "localhost:5000/team/app:v1");
  auto index = core::Index::Parse(testing::ReadFile(dir / "store/index.json"));
  REQUIRE(index);
  CHECK(index->manifests[0].annotations.at(std::string(kRefNameAnnotation)) ==
        "docker.io/library/app:latest");
  REQUIRE(s->Untag("app"));
  auto gone = s->Resolve("app");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message == "no image named docker.io/library/app:latest in the local store");
  CHECK(s->Untag("app").error().code == core::ErrorCode::kNotFound);
  CHECK_FALSE(s->Tag("Bad Name", m));
  core::Descriptor absent = m;
  absent.digest = core::Digest::Sha256Of("absent");
  CHECK(s->Tag("x", absent).error().code == core::ErrorCode::kNotFound);
}

TEST_CASE("blobs known but not local keep the repositories they come from", "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  core::Descriptor base;
  base.media_type = std::string(core::media::kDockerLayerGzip);
  base.digest = core::Digest::Sha256Of("base layer bytes we never downloaded");
  base.size = 123456789;
  REQUIRE(s->RecordRemote(base, {"mcr.microsoft.com", "windows/nanoserver"}));
  REQUIRE(s->RecordRemote(base, {"mcr.microsoft.com", "windows/nanoserver"}));  // idempotent
  REQUIRE(s->RecordRemote(base, {"localhost:5000", "mirror/nanoserver"}));
  CHECK_FALSE(s->Has(base.digest));
  auto sources = s->RemoteSources(base.digest);
  REQUIRE(sources);
  CHECK(*sources == std::vector<RemoteSource>{{"mcr.microsoft.com", "windows/nanoserver"},
                                              {"localhost:5000", "mirror/nanoserver"}});
  CHECK(s->RemoteSources(core::Digest::Sha256Of("other"))->empty());
}

TEST_CASE("prune removes unreferenced blobs and dead temp files, keeps what is reachable",
          "[unit]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  auto kept = PutManifest(*s, {"layer one", "layer two"});
  REQUIRE(s->Tag("app", kept));
  auto cached = Put(*s, "cached layer");
  testing::WriteFile(dir / "store/cache/entry.json", R"({"result":")" + cached.digest.ToString() + "\"}");
  auto orphan = Put(*s, "orphan blob");
  auto untagged = PutManifest(*s, {"only here"});
  core::Descriptor remote_only;
  remote_only.digest = core::Digest::Sha256Of("never local");
  REQUIRE(s->RecordRemote(remote_only, {"r.io", "a"}));
  {
    auto other = Store::Open((dir / "store").string());  // another user of the store
    REQUIRE(other);
    auto busy = s->Prune();
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == core::ErrorCode::kConflict);
  }
  testing::WriteFile(dir / "store/tmp/blob-dead12", "half a blob of a crashed write");
  auto report = s->Prune();
  REQUIRE(report);
  CHECK(report->blobs_removed == 3);  // orphan, untagged manifest, its only layer (config shared)
  CHECK(report->temp_files_removed == 1);
  CHECK(report->remote_records_removed == 1);
  CHECK(s->Has(kept.digest));
  CHECK(s->Has(cached.digest));
  CHECK_FALSE(s->Has(orphan.digest));
  CHECK_FALSE(s->Has(untagged.digest));
  auto m = core::Manifest::Parse(*ReadBlob(*s, kept.digest));
  for (const auto& l : m->layers) CHECK(s->Has(l.digest));
  CHECK(s->Has(m->config.digest));
  CHECK(s->Prune()->blobs_removed == 0);  // the lock is shared again, prune works twice
}

// [posix]: POSIX modes; on Windows the store gets the ACL of its folder (sys::Chmod is a no-op).
TEST_CASE("the store keeps its directories to its user", "[unit][posix]") {
  testing::TempDir dir;
  auto s = OpenStore(dir);
  CHECK((fs::status(dir / "store").permissions() & fs::perms::mask) == fs::perms::owner_all);
  for (const char* sub : {"blobs", "cache", "tmp", "remote"})
    CHECK((fs::status(dir / "store" / sub).permissions() &
           (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  // An older store's 0755 directories are tightened by the next open.
  fs::create_directories(dir / "store/snapshots");
  fs::permissions(dir / "store/snapshots", fs::perms::owner_all | fs::perms::group_read |
                                               fs::perms::group_exec | fs::perms::others_read |
                                               fs::perms::others_exec);
  REQUIRE(Store::Open((dir / "store").string()));
  CHECK((fs::status(dir / "store/snapshots").permissions() & fs::perms::mask) ==
        fs::perms::owner_all);
  // A root others can write is refused and left as it was.
  fs::create_directories(dir / "shared");
  fs::permissions(dir / "shared", fs::perms::all);
  auto shared = Store::Open((dir / "shared").string());
  REQUIRE_FALSE(shared);
  CHECK(shared.error().code == core::ErrorCode::kInvalidInput);
  CHECK_THAT(shared.error().message, Catch::Contains("is writable by other users (mode 0777)"));
  CHECK(fs::is_empty(dir / "shared"));
}
