#include "layers/windows/windowsfilter_snapshotter.h"

#include <random>
#include <thread>

#include "core/cancel.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/transport_reader.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

core::Status Check(HResult hr, const std::string& what) {
  if (!Failed(hr)) return {};
  return Fail(HcsError(what, hr));
}

bool Retryable(HResult hr) {
  return SameHResult(hr, kWin32NotReady) || SameHResult(hr, kWin32DeviceNotConnected);
}

// A token that keeps this process's temp folders apart from another kiln's.
const std::string& ProcessToken() {
  static const std::string token = [] {
    std::random_device rd;
    return std::to_string(rd() % 1000000000u);
  }();
  return token;
}

core::Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > 100)
    return Fail(ErrorCode::kInternal, "snapshot key must have 1 to 100 characters");
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return Fail(ErrorCode::kInternal, "snapshot key \"" + key + "\" has unsafe characters");
  return {};
}

}  // namespace

WindowsfilterSnapshotter::WindowsfilterSnapshotter(LayerApi& api, LayerFs& fs,
                                                   WindowsfilterOptions options)
    : api_(api), fs_(fs), options_(std::move(options)), importer_(api, fs) {}

std::filesystem::path WindowsfilterSnapshotter::ScratchPath(const std::string& key) const {
  return options_.root / "scratch" / PathFromUtf8(key);
}

std::filesystem::path WindowsfilterSnapshotter::TempPath(const std::string& name) const {
  return options_.root / "tmp" / PathFromUtf8(name + "-" + ProcessToken());
}

core::Status WindowsfilterSnapshotter::EnsureDirectories() {
  for (auto dir : {options_.root, options_.root / "layers", options_.root / "scratch",
                   options_.root / "tmp"}) {
    KILN_ASSIGN(auto attrs, fs_.Attributes(dir));
    if (!attrs) KILN_TRY(fs_.MakeDirectory(dir));
  }
  return {};
}

core::Result<Snapshot> WindowsfilterSnapshotter::Prepare(const std::string& key,
                                                         const std::vector<SnapshotLayer>& parents,
                                                         LayerOpener& opener) {
  KILN_TRY(CheckKey(key));
  if (parents.empty())
    return Fail(ErrorCode::kUnsupported,
                "a RUN step on Windows needs a base image (FROM scratch has no Windows)");
  KILN_TRY(EnsureDirectories());
  std::vector<std::string> chain;  // nearest first
  for (const auto& parent : parents) {
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(std::string folder, EnsureLayer(parent, chain, opener));
    chain.insert(chain.begin(), folder);
  }
  return PrepareScratch(key, chain);
}

core::Result<Snapshot> WindowsfilterSnapshotter::PrepareScratch(
    const std::string& key, const std::vector<std::string>& chain) {
  KILN_TRY(CheckKey(key));
  KILN_TRY(EnsureDirectories());
  std::filesystem::path scratch = ScratchPath(key);
  KILN_TRY(RemoveLayerFolder(scratch));  // a leftover of an interrupted run of the same step
  KILN_TRY(CreateScratch(scratch, chain));
  std::string scratch_id = PathToUtf8(scratch);
  ScratchState state{false, false, chain};
  auto mounted = [&]() -> core::Result<std::string> {
    KILN_ASSIGN(auto descriptors, importer_.Descriptors(chain));
    KILN_TRY(ActivateAndPrepare(scratch_id, descriptors));
    state.activated = state.prepared = true;
    std::string volume;
    KILN_TRY(Check(api_.GetLayerMountPath(scratch_id, &volume), "GetLayerMountPath"));
    if (volume.empty())
      return Fail(ErrorCode::kRuntime, "GetLayerMountPath returned no volume for " + scratch_id);
    return volume;
  }();
  if (!mounted) {
    (void)TearDown(scratch_id, state);
    (void)RemoveLayerFolder(scratch);
    return Fail(mounted.error().Wrap("preparing the scratch layer of " + key));
  }
  {
    std::lock_guard lock(state_mu_);
    scratches_[key] = state;
  }
  return Snapshot{key, *mounted, chain, scratch_id};
}

core::Status WindowsfilterSnapshotter::CreateScratch(const std::filesystem::path& scratch,
                                                     const std::vector<std::string>& chain) {
  std::string id = PathToUtf8(scratch);
  KILN_ASSIGN(auto descriptors, importer_.Descriptors(chain));
  auto created = Check(api_.CreateSandboxLayer(id, descriptors), "CreateSandboxLayer");
  if (created && options_.scratch_size_bytes > 0)
    created = Check(api_.ExpandSandboxSize(id, options_.scratch_size_bytes), "ExpandSandboxSize");
  if (!created) {
    (void)RemoveLayerFolder(scratch);
    return created;
  }
  return {};
}

core::Status WindowsfilterSnapshotter::ActivateAndPrepare(
    const std::string& scratch, const std::vector<LayerDescriptor>& parents) {
  std::lock_guard lock(prepare_mu_);
  HResult hr = kOk;
  std::string step;
  for (int attempt = 1; attempt <= std::max(1, options_.prepare_attempts); ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(options_.retry_delay);
    step = "ActivateLayer";
    hr = api_.ActivateLayer(scratch);
    if (!Failed(hr)) {
      step = "PrepareLayer";
      hr = api_.PrepareLayer(scratch, parents);
      if (!Failed(hr)) return {};
      (void)api_.DeactivateLayer(scratch);
    }
    if (!Retryable(hr)) break;
  }
  return Check(hr, step);
}

core::Status WindowsfilterSnapshotter::TearDown(const std::string& scratch, ScratchState state) {
  core::Status first;
  if (state.prepared) {
    std::lock_guard lock(prepare_mu_);
    first = Check(api_.UnprepareLayer(scratch), "UnprepareLayer");
  }
  if (state.activated) {
    auto deactivated = Check(api_.DeactivateLayer(scratch), "DeactivateLayer");
    if (first && !deactivated) first = deactivated;
  }
  return first;
}

core::Status WindowsfilterSnapshotter::Diff(const Snapshot& snapshot, DiffSink& sink) {
  ScratchState state;
  {
    std::lock_guard lock(state_mu_);
    auto it = scratches_.find(snapshot.key);
    if (it == scratches_.end())
      return Fail(ErrorCode::kInternal, "Diff of unknown snapshot " + snapshot.key);
    state = it->second;
  }
  // ExportLayer wants the scratch activated with the filter detached (hcsshim ExportLayerToTar).
  if (state.prepared) {
    std::lock_guard lock(prepare_mu_);
    KILN_TRY(Check(api_.UnprepareLayer(snapshot.scratch), "UnprepareLayer"));
  }
  {
    std::lock_guard lock(state_mu_);
    scratches_[snapshot.key].prepared = false;
  }
  std::filesystem::path out = TempPath(snapshot.key + "-export");
  KILN_TRY(fs_.RemoveTree(out));
  KILN_TRY(fs_.MakeDirectory(out));
  auto exported = [&]() -> core::Status {
    KILN_ASSIGN(auto descriptors, importer_.Descriptors(state.chain));
    KILN_TRY(
        Check(api_.ExportLayer(snapshot.scratch, PathToUtf8(out), descriptors), "ExportLayer"));
    TransportReader reader(fs_, out);
    return reader.Run(sink);
  }();
  auto removed = fs_.RemoveTree(out);
  if (!exported) return Fail(exported.error().Wrap("exporting the changes of " + snapshot.key));
  return removed;
}

core::Status WindowsfilterSnapshotter::Remove(const Snapshot& snapshot) {
  std::optional<ScratchState> state;
  {
    std::lock_guard lock(state_mu_);
    if (auto it = scratches_.find(snapshot.key); it != scratches_.end()) {
      state = it->second;
      scratches_.erase(it);
    }
  }
  std::filesystem::path scratch = ScratchPath(snapshot.key);
  core::Status torn_down;
  if (state) {
    torn_down = TearDown(PathToUtf8(scratch), *state);
  } else {
    KILN_ASSIGN(auto attrs, fs_.Attributes(scratch));
    // Unknown to this process (an earlier crash): detach whatever may still be attached.
    if (attrs) (void)TearDown(PathToUtf8(scratch), ScratchState{true, true, {}});
  }
  auto removed = RemoveLayerFolder(scratch);
  KILN_TRY(torn_down);
  return removed;
}

}  // namespace kiln::layers::windows
