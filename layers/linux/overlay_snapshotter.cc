#include "layers/linux/overlay_snapshotter.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/cancel.h"
#include "layers/fs_util.h"
#include "layers/linux/layer_unpack.h"
#include "layers/linux/overlay_mount.h"
#include "layers/linux/remove_tree.h"
#include "layers/linux/upper_diff.h"

namespace kiln::layers {
namespace {

namespace fs = std::filesystem;

core::Status MakeDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return core::Fail(core::ErrorCode::kIo, "cannot create " + path + ": " + ec.message());
  return {};
}

// A file-name-safe form of a snapshot key: itself when short and plain, else a hash.
std::string KeyName(const std::string& key) {
  bool plain = !key.empty() && key.size() <= 64 && key[0] != '.';
  for (char c : key)
    plain =
        plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  return plain ? key : "k-" + core::Digest::Sha256Of(key).hex().substr(0, 32);
}

// The lower dirs a snapshot was mounted with, from its l/N links (topmost first).
std::vector<std::string> MountedLowers(const std::string& dir) {
  std::vector<std::string> lowers;
  for (size_t i = 0;; ++i) {
    std::error_code ec;
    auto target = fs::read_symlink(dir + "/l/" + std::to_string(i), ec);
    if (ec) return lowers;
    lowers.push_back(target.string());
  }
}

}  // namespace

OverlaySnapshotter::OverlaySnapshotter(std::string root)
    : root_(std::move(root)),
      layers_(root_ + "/layers"),
      active_(root_ + "/active"),
      locks_(root_ + "/locks") {}

core::Status OverlaySnapshotter::EnsureLayout() {
  KILN_TRY(MakePrivateDir(root_));  // unpacked image content: setuid programs, device nodes
  for (const auto& dir : {layers_, active_, locks_, root_ + "/empty"}) KILN_TRY(MakeDir(dir));
  return {};
}

core::Status OverlaySnapshotter::SweepOnce() {
  {
    std::lock_guard guard(mu_);
    if (swept_) return {};
    swept_ = true;
  }
  KILN_TRY(EnsureLayout());
  return SweepLeftovers();
}

std::string OverlaySnapshotter::LayerDir(const core::Digest& diff_id) const {
  return layers_ + "/" + diff_id.hex();
}

std::string OverlaySnapshotter::ActiveDir(const std::string& key) const {
  return active_ + "/" + KeyName(key);
}

core::Result<Snapshot> OverlaySnapshotter::Prepare(const std::string& key,
                                                   const std::vector<SnapshotLayer>& parents,
                                                   LayerOpener& opener) {
  KILN_TRY(SweepOnce());
  std::vector<std::string> lowers;
  for (auto it = parents.rbegin(); it != parents.rend(); ++it) {
    KILN_ASSIGN(std::string dir, EnsureUnpacked(*it, opener));
    lowers.push_back(std::move(dir));
  }
  return Mount(key, lowers);
}

core::Result<std::string> OverlaySnapshotter::EnsureUnpacked(const SnapshotLayer& layer,
                                                             LayerOpener& opener) {
  std::string dir = LayerDir(layer.diff_id);
  if (fs::is_directory(dir)) return dir;
  KILN_TRY(EnsureLayout());
  std::string hex = layer.diff_id.hex();
  KILN_ASSIGN(OwnerLock lock,
              OwnerLock::Wait(locks_ + "/layer-" + hex + ".lock", LockMode::kExclusive));
  if (fs::is_directory(dir)) return dir;  // another process unpacked it while we waited
  std::string tmp = layers_ + "/tmp-" + hex;
  KILN_TRY(RemoveTree(tmp));
  KILN_TRY(MakeDir(tmp));
  auto unpacked = [&]() -> core::Status {
    KILN_ASSIGN(auto blob, opener.OpenLayer(layer));
    KILN_TRY(UnpackLayer(*blob, layer.diff_id, tmp));
    if (std::rename(tmp.c_str(), dir.c_str()) != 0)
      return core::Fail(core::ErrorCode::kIo, "cannot rename " + tmp + " to " + dir);
    return {};
  }();
  if (!unpacked) {
    (void)RemoveTree(tmp);
    return core::Fail(unpacked.error().Wrap("unpacking layer " + layer.diff_id.ToString()));
  }
  lock.Unlink();
  return dir;
}

core::Result<Snapshot> OverlaySnapshotter::Mount(const std::string& key,
                                                 const std::vector<std::string>& lowers) {
  KILN_TRY(SweepOnce());
  std::string dir = ActiveDir(key);
  KILN_ASSIGN(auto lock,
              OwnerLock::Try(locks_ + "/active-" + KeyName(key) + ".lock", LockMode::kExclusive));
  if (!lock) return core::Fail(core::ErrorCode::kConflict, "snapshot " + key + " is in use");
  KILN_TRY(RemoveActive(dir));  // leftovers of a killed process that used the same key
  for (const char* sub : {"/upper", "/work", "/merged"}) KILN_TRY(MakeDir(dir + sub));
  std::vector<std::string> mounted = lowers;
  if (mounted.empty()) mounted.push_back(root_ + "/empty");
  if (auto status = MountOverlay(dir, mounted, "upper", "work", dir + "/merged"); !status) {
    (void)RemoveTree(dir);
    return core::Fail(status.error());
  }
  {
    std::lock_guard guard(mu_);
    held_.insert_or_assign(key, std::move(*lock));
  }
  return Snapshot{key, dir + "/merged", {}, dir + "/upper"};
}

core::Status OverlaySnapshotter::Diff(const Snapshot& snapshot, DiffSink& sink) {
  std::string dir = ActiveDir(snapshot.key);
  return DiffUpperDir(dir + "/upper", MountedLowers(dir), sink);
}

core::Status OverlaySnapshotter::RemoveActive(const std::string& dir) {
  KILN_TRY(Unmount(dir + "/merged"));
  return RemoveTree(dir);
}

core::Status OverlaySnapshotter::Remove(const Snapshot& snapshot) {
  KILN_TRY(RemoveActive(ActiveDir(snapshot.key)));
  std::lock_guard guard(mu_);
  if (auto it = held_.find(snapshot.key); it != held_.end()) {
    it->second.Unlink();
    held_.erase(it);
  }
  return {};
}

core::Status OverlaySnapshotter::SweepStale() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return {};
  KILN_TRY(EnsureLayout());
  return SweepLeftovers();
}

core::Result<uint64_t> OverlaySnapshotter::RemoveUnneeded(
    const std::function<bool(const core::Digest&)>& needed) {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return 0;
  KILN_TRY(SweepStale());
  uint64_t removed = 0;
  for (const auto& e : fs::directory_iterator(layers_, ec)) {
    auto diff_id = core::Digest::Parse("sha256:" + e.path().filename().string());
    if (diff_id && needed(*diff_id)) continue;
    KILN_TRY(RemoveTree(e.path()));
    ++removed;
  }
  if (fs::is_empty(layers_, ec) && fs::is_empty(active_, ec)) KILN_TRY(RemoveTree(root_));
  return removed;
}

core::Status OverlaySnapshotter::SweepLeftovers() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(active_, ec)) {
    std::string name = e.path().filename();
    KILN_ASSIGN(auto lock,
                OwnerLock::Try(locks_ + "/active-" + name + ".lock", LockMode::kExclusive));
    if (!lock) continue;  // in use by a live process (or by this one)
    KILN_TRY(RemoveActive(e.path()));
    lock->Unlink();
  }
  for (const auto& e : fs::directory_iterator(layers_, ec)) {
    std::string name = e.path().filename();
    if (!name.starts_with("tmp-")) continue;
    KILN_ASSIGN(auto lock, OwnerLock::Try(locks_ + "/layer-" + name.substr(4) + ".lock",
                                          LockMode::kExclusive));
    if (!lock) continue;
    KILN_TRY(RemoveTree(e.path()));
    lock->Unlink();
  }
  return {};
}

}  // namespace kiln::layers
