// Store::Prune: mark from index.json and the build cache, sweep blobs/, remote/ and tmp/.
#include <deque>
#include <regex>
#include <unordered_set>

#include "core/media_types.h"
#include "core/sys_fs.h"
#include "layers/fs_util.h"
#include "layers/host_snapshotter.h"
#include "layers/owned_temp.h"
#include "layers/store.h"

namespace kiln::layers {
namespace {

// Calls fn(name) for each entry of a directory except . and ..; missing dirs are empty.
template <typename Fn>
void ForEachFile(const std::string& dir, Fn fn) {
  std::vector<std::string> names;
  if (sys::ListDir(dir, &names) != 0) return;
  for (const auto& name : names) fn(name);
}

const std::regex& DigestPattern() {
  static const std::regex kDigest("sha256:[0-9a-f]{64}");
  return kDigest;
}

// Every "sha256:<hex>" in `text`.
void ScanText(const std::string& text, std::vector<core::Digest>& out) {
  for (std::sregex_iterator it(text.begin(), text.end(), DigestPattern()), end; it != end; ++it)
    if (auto d = core::Digest::Parse(it->str())) out.push_back(*d);
}

// Every "sha256:<hex>" in the files under `dir` (recursively).
void ScanDigests(const std::string& dir, std::vector<core::Digest>& out) {
  ForEachFile(dir, [&](const std::string& name) {
    std::string path = dir + "/" + name;
    sys::FileStat st;
    if (sys::Lstat(path, &st) != 0) return;
    if (st.IsDir()) return ScanDigests(path, out);
    if (!st.IsRegular()) return;
    if (auto text = ReadFileToString(path)) ScanText(*text, out);
  });
}

// Restores the shared gc lock when prune ends, however it ends.
struct SharedAgain {
  FileLock& lock;
  ~SharedAgain() { lock.TryChange(FileLock::Mode::kShared); }
};

}  // namespace

core::Result<PruneReport> Store::Prune() {
  if (!gc_lock_.TryChange(FileLock::Mode::kExclusive))
    return core::Fail(core::ErrorCode::kConflict,
                      "another kiln process is using the store at " + root_ +
                          "; run kiln prune again when it has finished");
  SharedAgain restore{gc_lock_};
  KILN_ASSIGN(auto images, ReadIndex());
  std::vector<core::Digest> named, cached;
  for (const auto& img : images) named.push_back(img.target.digest);
  ScanDigests(cache_dir(), cached);

  // Marks from the names first, then from the build cache; the configs met while marking from
  // names say which unpacked layers to keep.
  std::unordered_set<std::string> live;
  std::vector<core::Digest> configs;
  for (auto* roots : {&named, &cached}) {
    bool from_names = roots == &named;
    std::deque<core::Digest> queue(roots->begin(), roots->end());
    while (!queue.empty()) {
      core::Digest d = queue.front();
      queue.pop_front();
      if (!live.insert(d.hex()).second) continue;
      auto size = Size(d);
      if (!size || *size > (4u << 20)) continue;  // absent, or too big to be a manifest
      auto bytes = ReadBlob(*this, d);
      if (!bytes || bytes->empty() || (*bytes)[0] != '{') continue;
      auto type = core::DetectMediaType(*bytes);
      if (!type) continue;  // a config or other JSON: no children
      if (core::media::IsIndex(*type)) {
        if (auto idx = core::Index::Parse(*bytes, *type))
          for (const auto& m : idx->manifests) queue.push_back(m.digest);
      } else if (auto m = core::Manifest::Parse(*bytes, *type)) {
        queue.push_back(m->config.digest);
        if (from_names) configs.push_back(m->config.digest);
        for (const auto& l : m->layers) queue.push_back(l.digest);
        if (m->subject) queue.push_back(m->subject->digest);
      }
    }
  }

  PruneReport report;
  std::string blobs = root_ + "/blobs/sha256";
  ForEachFile(blobs, [&](const std::string& hex) {
    if (live.count(hex)) return;
    std::string path = blobs + "/" + hex;
    sys::FileStat st;
    if (sys::Lstat(path, &st) == 0 && sys::Unlink(path) == 0) {
      ++report.blobs_removed;
      report.bytes_freed += st.size;
    }
  });
  std::string remote = root_ + "/remote/sha256";
  ForEachFile(remote, [&](const std::string& name) {
    std::string hex = name.substr(0, name.find('.'));
    if (live.count(hex) && name.ends_with(".json") && name.size() == 69) return;
    if (sys::Unlink(remote + "/" + name) == 0) ++report.remote_records_removed;
  });
  // With the exclusive lock no other kiln process has the store open: whatever is in tmp/
  // (and any temp file of an atomic write) belongs to a write that died.
  report.temp_files_removed += RemoveOrphanTemps(tmp_dir(), [](std::string_view) { return true; });
  ForEachFile(root_, [&](const std::string& name) {
    if (name.find(".tmp-") != std::string::npos && sys::Unlink(root_ + "/" + name) == 0)
      ++report.temp_files_removed;
  });
  // Unpacked layers (the snapshotter's cache of parents for RUN) that no named image's config
  // lists. Build-cache entries keep blobs, not unpacked layers: a cache hit never unpacks, and
  // an unpacked layer can be made again from its blob.
  std::unordered_set<std::string> layer_ids;
  for (const auto& config : configs) {
    auto size = Size(config);
    if (!size || *size > (16u << 20)) continue;
    std::vector<core::Digest> ids;
    if (auto bytes = ReadBlob(*this, config)) ScanText(*bytes, ids);
    for (const auto& id : ids) layer_ids.insert(id.hex());
  }
  KILN_ASSIGN(report.unpacked_layers_removed,
              MakeHostSnapshotter(root_)->RemoveUnneeded(
                  [&](const core::Digest& diff_id) { return layer_ids.count(diff_id.hex()) > 0; }));
  return report;
}

}  // namespace kiln::layers
