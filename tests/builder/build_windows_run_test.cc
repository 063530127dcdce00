// kiln's builder running Windows RUN steps through the same seams as on a Windows host: the HCS
// executor and the windowsfilter snapshotter (real code), over the recording fakes of the thin
// Windows layer, given to the build through BuildOptions::make_executor/make_snapshotter where a
// Windows kiln.exe calls MakeHostExecutor/MakeHostSnapshotter. Nothing here runs on Windows.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "builder/builder.h"
#include "layers/layer_check.h"
#include "layers/windows/layer_unpack.h"
#include "tests/builder/build_helpers.h"
#include "tests/builder/windows_rig.h"
#include "tests/layers/layer_test_util.h"

using namespace kiln;
using namespace kiln::testing;

namespace {

// The rig owns the executor and snapshotter; the build gets borrowing ones.
class BorrowedExecutor : public builder::Executor {
 public:
  explicit BorrowedExecutor(builder::Executor& e) : e_(e) {}
  std::string Name() const override { return e_.Name(); }
  core::Status Preflight(const core::Platform& target) override { return e_.Preflight(target); }
  std::string IsolationChosen() const override { return e_.IsolationChosen(); }
  core::Result<builder::ExitStatus> Run(const builder::RunSpec& spec) override {
    return e_.Run(spec);
  }

 private:
  builder::Executor& e_;
};

class BorrowedSnapshotter : public layers::Snapshotter {
 public:
  explicit BorrowedSnapshotter(layers::Snapshotter& s) : s_(s) {}
  core::Result<layers::Snapshot> Prepare(const std::string& key,
                                         const std::vector<layers::SnapshotLayer>& parents,
                                         layers::LayerOpener& opener) override {
    return s_.Prepare(key, parents, opener);
  }
  core::Status Diff(const layers::Snapshot& snap, layers::DiffSink& sink) override {
    return s_.Diff(snap, sink);
  }
  core::Status Remove(const layers::Snapshot& snap) override { return s_.Remove(snap); }

 private:
  layers::Snapshotter& s_;
};

// A Windows host of fakes whose snapshotter imports the real base layers from the store.
struct FakeWindowsHost {
  FakeWindowsHost() {
    layers::windows::WindowsfilterOptions options;
    options.root = rig.dir.path() / "wf";
    options.retry_delay = std::chrono::milliseconds(1);
    options.unpack = layers::windows::UnpackLayer;
    rig.snapshotter.emplace(rig.layer_api, rig.fs, options);
    rig.compute.on_process_start = [this] { commands.push_back(rig.compute.process_parameters); };
  }
  builder::BuildOptions Options(const TempDir& store, const TempDir& ctx) {
    builder::BuildOptions o;
    o.context_dir = ctx.path().string();
    o.store_root = store.path().string();
    o.tags = {"win-run:1"};
    builder::ContextOverride base;
    base.name = "mcr.microsoft.com/windows/nanoserver:ltsc2022";
    base.kind = builder::ContextOverride::Kind::kOciLayout;
    base.value = SyntheticNanoserver() + ":ltsc2022";
    o.contexts = {base};
    o.make_executor = [this] { return std::make_unique<BorrowedExecutor>(*rig.executor); };
    o.make_snapshotter = [this] { return std::make_unique<BorrowedSnapshotter>(*rig.snapshotter); };
    return o;
  }
  WindowsRig rig;
  std::vector<std::string> commands;  // ProcessParameters documents, in order
};

void WriteRunContext(const TempDir& ctx) {
  WriteFile(ctx / "Dockerfile",
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
            "USER ContainerAdministrator\n"
            "RUN echo built> C:\\app\\stamp.txt\n"
            "RUN [\"cmd\", \"/S\", \"/C\", \"echo two words\"]\n");
}

}  // namespace

TEST_CASE("Windows RUN steps build through the HCS executor and the windowsfilter snapshotter",
          "[unit]") {
  TempDir store, ctx;
  WriteRunContext(ctx);
  FakeWindowsHost host;
  auto built = builder::Build(host.Options(store, ctx));
  INFO((built ? "" : built.error().message));
  REQUIRE(built);

  // Shell form: SHELL's default and the text as written; exec form: quoted for CommandLineToArgvW.
  REQUIRE(host.commands.size() == 2);
  auto first = nlohmann::json::parse(host.commands[0]);
  CHECK(first["CommandLine"] == "cmd /S /C echo built> C:\\app\\stamp.txt");
  CHECK(first["User"] == "ContainerAdministrator");
  CHECK(first["WorkingDirectory"] == "C:\\");
  CHECK(nlohmann::json::parse(host.commands[1])["CommandLine"] == "cmd /S /C \"echo two words\"");

  // Base layers, then one layer per RUN, each a valid Windows layer carrying what its own command
  // changed (the fake container writes `echo TEXT> C:\PATH` files; windows_rig.h): the first
  // step's file, and for the second, which wrote nothing, only the roots and the registry delta.
  StoredImage img = ReadStoredImage(store.path(), "win-run:1");
  REQUIRE(img.manifest.layers.size() >= 3);
  const size_t n = img.manifest.layers.size();
  CHECK(img.config.history.back().created_by == "RUN [\"cmd\",\"/S\",\"/C\",\"echo two words\"]");
  CHECK(img.config.history[img.config.history.size() - 2].created_by ==
        "RUN cmd /S /C echo built> C:\\app\\stamp.txt");
  std::vector<std::string> listings;
  for (size_t i = n - 2; i < n; ++i) {
    auto path = store / ("blobs/sha256/" + img.manifest.layers[i].digest.hex());
    auto report = layers::CheckWindowsLayerFile(path.string());
    REQUIRE(report);
    INFO(report->ErrorsText());
    CHECK(report->ok());
    std::string listing;
    for (const auto& e : layers::testutil::ReadLayer(ReadFile(path))) listing += e.entry.name + "\n";
    listings.push_back(listing);
  }
  // Windows layers name directories without a trailing slash (windows-layer-format.md).
  CHECK(listings[0] == "Files\nFiles/app\nFiles/app/stamp.txt\nHives\nHives/System_Delta\n");
  CHECK(listings[1] == "Files\nHives\nHives/System_Delta\n");
  // The second step's parents include the first step's layer, imported from the store.
  CHECK(host.rig.layer_api.import_parents.size() >= 1);
  host.rig.CheckNothingLeft();
}

TEST_CASE("a Windows host that cannot run the image stops the build before any work, saying why",
          "[unit]") {
  TempDir store, ctx;
  WriteRunContext(ctx);
  FakeWindowsHost host;
  host.rig.host.version = core::WindowsVersion{10, 0, 17763, 5458};  // Windows Server 2019
  auto built = builder::Build(host.Options(store, ctx));
  REQUIRE_FALSE(built);
  std::string text = built.error().ToString();
  INFO(text);
  CHECK(text.find("Dockerfile:3:1: RUN in stage 0") != std::string::npos);  // the first RUN
  CHECK(text.find("build 17763") != std::string::npos);
  CHECK(text.find("build 20348") != std::string::npos);
  CHECK(text.find("process isolation") != std::string::npos);
  // The Linux-host wording is not used on a Windows host.
  CHECK(text.find("needs a Windows host") == std::string::npos);
  CHECK(host.rig.compute.log().empty());
  CHECK(host.rig.layer_api.log().empty());
}

TEST_CASE("a Windows RUN bind mount resolves its source inside the context, wherever a symlink sits",
          "[integration]") {
  TempDir store, t;
  fs::path ctx = t / "ctx";
  fs::create_directories(ctx / "sub");
  fs::create_directories(ctx / "etc");
  fs::create_directories(t / "etc");
  fs::create_symlink("/", ctx / "root");                      // start: root/etc
  fs::create_symlink("../..", ctx / "sub/up");                // middle: sub/up/etc
  fs::path outside = t / "outside";                           // end: dir
  fs::create_directories(outside);
  fs::create_directories(ctx / outside.relative_path());
  fs::create_symlink(outside, ctx / "dir");
  fs::path real = fs::canonical(ctx);
  struct Case {
    std::string source;
    fs::path want;
  };
  for (const auto& c : std::vector<Case>{{"root/etc", real / "etc"},
                                         {"sub/up/etc", real / "etc"},
                                         {"dir", real / outside.relative_path()}}) {
    INFO("source=" << c.source);
    WriteFile(ctx / "Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
                                  "RUN --mount=type=bind,source=" + c.source +
                                  ",target=C:/m dir C:/m\n");
    FakeWindowsHost host;
    std::vector<std::string> documents;
    host.rig.compute.on_process_start = [&] { documents.push_back(host.rig.compute.system_document); };
    TempDir step_store;
    builder::BuildOptions options = host.Options(step_store, t);
    options.context_dir = ctx.string();
    auto built = builder::Build(options);
    INFO((built ? "" : built.error().ToString()));
    REQUIRE(built);
    REQUIRE(documents.size() == 1);
    auto mapped = nlohmann::json::parse(documents[0])["Container"]["MappedDirectories"];
    REQUIRE(mapped.size() == 1);
    CHECK(mapped[0]["HostPath"] == c.want.string());
    CHECK(mapped[0]["ContainerPath"] == "C:\\m");
    CHECK(mapped[0]["ReadOnly"] == true);
  }
}

TEST_CASE("a Windows RUN bind mount never shows a .dockerignore'd file", "[integration]") {
  TempDir store, ctx;
  WriteFile(ctx / ".dockerignore", "secret.txt\n");
  WriteFile(ctx / "secret.txt", "s3cret");
  WriteFile(ctx / "keep.txt", "kept");
  fs::create_symlink("secret.txt", ctx / "link");
  fs::create_directories(ctx / "sub");
  for (std::string mount : {"source=link,target=C:/s", "source=sub/../secret.txt,target=C:/s",
                            "target=C:/c"}) {
    INFO(mount);
    WriteFile(ctx / "Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
                                  "RUN --mount=type=bind," + mount + " type C:/c/secret.txt\n");
    FakeWindowsHost host;
    auto built = builder::Build(host.Options(store, ctx));
    REQUIRE_FALSE(built);
    std::string text = built.error().ToString();
    INFO(text);
    CHECK(text.find("Dockerfile:2:1: ") == 0);
    bool refused = text.find("file not found in build context or excluded by .dockerignore") !=
                       std::string::npos ||
                   text.find("excluded by .dockerignore") != std::string::npos;
    CHECK(refused);
    CHECK(host.rig.compute.system_document.empty());  // no container was made
  }
  // Without ignored files below it, the context is mapped as it is.
  WriteFile(ctx / "Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
                                "RUN --mount=type=bind,source=sub,target=C:/c dir C:/c\n");
  FakeWindowsHost host;
  auto built = builder::Build(host.Options(store, ctx));
  INFO((built ? "" : built.error().ToString()));
  CHECK(built);
}

TEST_CASE("the isolation pre-flight chose is in the progress output and the metadata file",
          "[unit]") {
  struct Events : core::ProgressSink {
    void Emit(const core::ProgressEvent& e) override {
      std::lock_guard lock(mu);
      if (e.id == "isolation") labels.push_back(e.label);
    }
    std::mutex mu;
    std::vector<std::string> labels;
  };
  TempDir store, ctx;
  WriteRunContext(ctx);
  FakeWindowsHost host;
  Events events;
  auto options = host.Options(store, ctx);
  options.progress = &events;
  options.metadata_file = (ctx / "meta.json").string();
  auto built = builder::Build(options);
  INFO((built ? "" : built.error().ToString()));
  REQUIRE(built);
  CHECK(built->isolation == "process");
  REQUIRE(events.labels.size() == 2);  // start and done
  CHECK(events.labels[0].find("process isolation") != std::string::npos);
  auto meta = nlohmann::json::parse(ReadFile(ctx / "meta.json"));
  CHECK(meta["kiln.windows.isolation"] == "process");
}

TEST_CASE("isolation hyperv on a base image without a utility VM fails at the RUN, saying why",
          "[unit]") {
  TempDir store, ctx;
  WriteRunContext(ctx);
  FakeWindowsHost host;
  builder::windows::HcsExecutorOptions exec;
  exec.isolation = builder::Isolation::kHyperV;
  exec.timeouts.poll = std::chrono::milliseconds(5);
  host.rig.executor.emplace(host.rig.compute, host.rig.layer_api, host.rig.host, exec,
                            &host.rig.fs);
  auto built = builder::Build(host.Options(store, ctx));
  REQUIRE_FALSE(built);
  std::string text = built.error().ToString();
  INFO(text);
  CHECK(text.find("Dockerfile:3:1") == 0);
  CHECK(text.find("UtilityVM") != std::string::npos);
  for (const auto& line : host.rig.compute.log()) CHECK_FALSE(line.starts_with("Hcs"));
  host.rig.CheckNothingLeft();
}

TEST_CASE("an isolation other than auto is refused for a Linux RUN", "[unit]") {
  TempDir store, ctx;
  WriteFile(ctx / "Dockerfile", "FROM scratch\nRUN true\n");
  builder::BuildOptions o;
  o.context_dir = ctx.path().string();
  o.store_root = store.path().string();
  o.isolation = builder::Isolation::kHyperV;
  o.platforms = {*core::Platform::Parse("linux/amd64")};
  auto built = builder::Build(o);
  REQUIRE_FALSE(built);
  std::string text = built.error().ToString();
  INFO(text);
  CHECK(text.find("Dockerfile:2:1: --isolation hyperv applies to Windows RUN steps") == 0);
}
