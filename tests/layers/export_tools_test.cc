// Exports read by skopeo and umoci, and the kiln CLI on a store: integration tests (they start
// other programs), kept apart from the unit tests of export_test.cc, which build for Windows.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/media_types.h"
#include "layers/host_tree.h"
#include "layers/image_export.h"
#include "layers/image_inspect.h"
#include "layers/layer_tree.h"
#include "layers/local_image.h"
#include "layers/store.h"
#include "tests/support/test_env.h"

using namespace kiln;
using namespace kiln::layers;
namespace fs = std::filesystem;

namespace {

// "path type mode size/target" lines of a tree, sorted, not following symlinks.
std::string Listing(const fs::path& root) {
  std::map<std::string, std::string> lines;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st;
    REQUIRE(lstat(it->path().c_str(), &st) == 0);
    std::string rel = it->path().lexically_relative(root).string();
    char mode[16];
    snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    std::string line = rel + " " + mode + " ";
    if (S_ISDIR(st.st_mode)) line += "dir";
    if (S_ISREG(st.st_mode)) line += "file " + testing::ReadFile(it->path());
    if (S_ISLNK(st.st_mode)) {
      line = rel + " link " + fs::read_symlink(it->path()).string();
      it.disable_recursion_pending();
    }
    lines[rel] = line;
  }
  std::string out;
  for (const auto& [k, v] : lines) out += v + "\n";
  return out;
}

void MakeTree(const fs::path& root) {
  fs::create_directories(root / "usr/bin");
  fs::create_directories(root / "etc/conf.d");
  fs::create_directories(root / "var/cache/app");
  testing::WriteFile(root / "usr/bin/tool", "#!/bin/sh\necho tool\n");
  chmod((root / "usr/bin/tool").c_str(), 0755);
  testing::WriteFile(root / "etc/secret", "s3cret");
  chmod((root / "etc/secret").c_str(), 0600);
  testing::WriteFile(root / "etc/conf.d/a.conf", "a=1");
  testing::WriteFile(root / "etc/conf.d/b.conf", "b=2");
  testing::WriteFile(root / "var/cache/app/blob", "cached");
  fs::create_symlink("tool", root / "usr/bin/alias");
  fs::create_symlink("/etc/conf.d", root / "etc/confdir");
  chmod((root / "var/cache").c_str(), 01777);
}

struct Built {
  core::Descriptor manifest;
  LayerResult l1, l2;
};

// Layer 1: the tree. Layer 2: deletes etc/secret, makes var/cache opaque, adds a file.
Built BuildLinuxImage(Store& store, const fs::path& src, bool zstd) {
  LayerOptions o;
  LayerTree t1(LayerFlavor::kLinux);
  REQUIRE(AddHostTree(t1, src.string(), ""));
  auto l1 = CommitLayer(t1, o, store);
  REQUIRE(l1);
  LayerTree t2(LayerFlavor::kLinux);
  REQUIRE(t2.AddWhiteout("etc/secret"));
  REQUIRE(t2.AddOpaque("var/cache"));
  EntryMeta sticky;
  sticky.mode = 01777;
  REQUIRE(t2.SetMetadata("var/cache", sticky));
  EntryMeta m;
  m.mode = 0640;
  REQUIRE(t2.AddData("var/cache/new", "fresh", m));
  o.compression.kind = zstd ? Compression::kZstd : Compression::kGzip;
  auto l2 = CommitLayer(t2, o, store);
  REQUIRE(l2);
  core::ImageConfig config;
  config.os = "linux";
  config.architecture = "amd64";
  config.created = "2024-01-01T00:00:00Z";
  config.diff_ids = {l1->diff_id, l2->diff_id};
  config.config.cmd = std::vector<std::string>{"/usr/bin/tool"};
  config.history = {{"2024-01-01T00:00:00Z", "COPY . /", "", "", false},
                    {"2024-01-01T00:00:00Z", "RUN rm /etc/secret", "", "", false}};
  auto d = PutImage(store, config, {l1->blob, l2->blob});
  REQUIRE(d);
  return {*d, *l1, *l2};
}

}  // namespace

TEST_CASE("skopeo and umoci read an exported Linux image, umoci unpack gives the input tree",
          "[integration]") {
  testing::TempDir dir;
  auto store = Store::Open((dir / "store").string());
  REQUIRE(store);
  MakeTree(dir / "src");
  Built img = BuildLinuxImage(**store, dir / "src", /*zstd=*/false);  // umoci 0.4.7: no zstd
  REQUIRE((*store)->Tag("test/app:v1", img.manifest));
  auto saved = SaveImages(**store, {"test/app:v1"}, {ExportFormat::kOci, (dir / "oci").string()});
  REQUIRE(saved);
  CHECK(saved->blobs == 4);

  auto inspect = testing::Run({"skopeo", "inspect", "oci:" + (dir / "oci").string() + ":v1"});
  INFO(inspect.err);
  REQUIRE(inspect.exit_code == 0);
  CHECK(inspect.out.find(img.l1.blob.digest.ToString()) != std::string::npos);
  CHECK(inspect.out.find(img.l2.blob.digest.ToString()) != std::string::npos);
  auto copy = testing::Run({"skopeo", "copy", "oci:" + (dir / "oci").string() + ":v1",
                            "oci:" + (dir / "copy").string() + ":copied"});
  INFO(copy.err);
  CHECK(copy.exit_code == 0);

  std::vector<std::string> unpack = {"umoci", "unpack", "--image", (dir / "oci").string() + ":v1",
                                     (dir / "bundle").string()};
  if (geteuid() != 0) unpack.insert(unpack.begin() + 2, "--rootless");
  auto u = testing::Run(unpack);
  INFO(u.err);
  REQUIRE(u.exit_code == 0);
  // What the layers should give: the tree, minus the whiteout, var/cache replaced by layer 2.
  fs::remove(dir / "src/etc/secret");
  fs::remove_all(dir / "src/var/cache");
  fs::create_directories(dir / "src/var/cache");
  chmod((dir / "src/var/cache").c_str(), 01777);
  testing::WriteFile(dir / "src/var/cache/new", "fresh");
  chmod((dir / "src/var/cache/new").c_str(), 0640);
  CHECK(Listing(dir / "bundle/rootfs") == Listing(dir / "src"));
}

TEST_CASE("a docker-archive export is read by skopeo with the Windows os.version kept",
          "[integration]") {
  testing::TempDir dir;
  auto store = Store::Open((dir / "store").string());
  REQUIRE(store);
  LayerTree tree(LayerFlavor::kWindows);
  REQUIRE(tree.AddData("Files/app/hello.txt", "hello from C:\\app"));
  LayerOptions o;
  o.flavor = LayerFlavor::kWindows;
  auto layer = CommitLayer(tree, o, **store);
  REQUIRE(layer);
  core::ImageConfig config;
  config.os = "windows";
  config.architecture = "amd64";
  config.os_version = "10.0.20348.2582";
  config.diff_ids = {layer->diff_id};
  auto d = PutImage(**store, config, {layer->blob}, /*docker_media_types=*/true);
  REQUIRE(d);
  REQUIRE((*store)->Tag("win/app:ltsc2022", *d));
  std::string tar = (dir / "out/app.tar").string();
  fs::create_directories(dir / "out");
  REQUIRE(SaveImages(**store, {"win/app:ltsc2022"}, {ExportFormat::kDocker, tar}));
  auto inspect = testing::Run({"skopeo", "inspect", "--override-os", "windows",
                               "docker-archive:" + tar});
  INFO(inspect.err);
  REQUIRE(inspect.exit_code == 0);
  CHECK(inspect.out.find("\"Os\": \"windows\"") != std::string::npos);
  CHECK(inspect.out.find(layer->diff_id.ToString()) != std::string::npos);  // as loaded
  auto py = testing::Run({"python3", "-c",
                          "import tarfile,json,sys\n"
                          "t=tarfile.open(sys.argv[1])\n"
                          "m=json.load(t.extractfile('manifest.json'))[0]\n"
                          "c=json.load(t.extractfile(m['Config']))\n"
                          "print(m['RepoTags'][0], c['os.version'], len(m['Layers']))",
                          tar});
  CHECK(py.out == "win/app:ltsc2022 10.0.20348.2582 1\n");
  // Same images, same SOURCE_DATE_EPOCH-less archive bytes.
  std::string again = (dir / "out/again.tar").string();
  REQUIRE(SaveImages(**store, {"win/app:ltsc2022"}, {ExportFormat::kDocker, again}));
  CHECK(testing::ReadFile(tar) == testing::ReadFile(again));
}


TEST_CASE("kiln images, inspect, save, rmi and prune work on a store", "[integration]") {
  testing::TempDir dir;
  std::string root = (dir / "store").string();
  {
    auto store = Store::Open(root);
    REQUIRE(store);
    MakeTree(dir / "src");
    Built img = BuildLinuxImage(**store, dir / "src", /*zstd=*/true);
    REQUIRE((*store)->Tag("app:v1", img.manifest));
  }
  auto images = testing::Kiln({"--root", root, "images"});
  REQUIRE(images.exit_code == 0);
  CHECK(images.out.find("app ") != std::string::npos);
  CHECK(images.out.find("v1") != std::string::npos);
  CHECK(images.out.find("linux/amd64") != std::string::npos);
  auto inspect = testing::Kiln({"--root", root, "inspect", "app:v1"});
  REQUIRE(inspect.exit_code == 0);
  CHECK(inspect.out.find("RUN rm /etc/secret") != std::string::npos);
  CHECK(inspect.out.find("tar+zstd") != std::string::npos);
  auto json = testing::Kiln({"--root", root, "inspect", "--json", "app:v1"});
  REQUIRE(json.exit_code == 0);
  CHECK(core::Json::parse(json.out)["manifests"][0]["layers"].size() == 2);
  // (inspect asks the registry for names not in the store; save is local only)
  auto missing = testing::Kiln({"--root", root, "save", "nope", "-o", (dir / "n.tar").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "kiln: no image named docker.io/library/nope:latest in the local store\n");
  auto save = testing::Kiln({"--root", root, "save", "app:v1", "-o", (dir / "a.tar").string(),
                             "--format", "docker"});
  CHECK(save.exit_code == 0);
  auto rmi = testing::Kiln({"--root", root, "rmi", "app:v1"});
  REQUIRE(rmi.exit_code == 0);
  CHECK(rmi.out.find("Untagged: docker.io/library/app:v1") != std::string::npos);
  CHECK(rmi.out.find("Deleted 4 blobs") != std::string::npos);
  auto prune = testing::Kiln({"--root", root, "prune"});
  CHECK(prune.exit_code == 0);
  CHECK(prune.out.find("Deleted 0 blobs") != std::string::npos);
}
