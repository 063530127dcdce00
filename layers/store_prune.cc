// Store::Prune: mark from index.json and the build cache, sweep blobs/, remote/ and tmp/.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <regex>
#include <unordered_set>

#include "core/media_types.h"
#include "layers/fs_util.h"
#include "layers/store.h"

namespace kiln::layers {
namespace {

// Calls fn(name) for each entry of a directory except . and ..; missing dirs are empty.
template <typename Fn>
void ForEachFile(const std::string& dir, Fn fn) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") fn(name);
  }
  closedir(d);
}

// Every "sha256:<hex>" in the files under `dir` (recursively).
void ScanDigests(const std::string& dir, std::vector<core::Digest>& out) {
  static const std::regex kDigest("sha256:[0-9a-f]{64}");
  ForEachFile(dir, [&](const std::string& name) {
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) return ScanDigests(path, out);
    if (!S_ISREG(st.st_mode)) return;
    auto text = ReadFileToString(path);
    if (!text) return;
    for (std::sregex_iterator it(text->begin(), text->end(), kDigest), end; it != end; ++it)
      if (auto d = core::Digest::Parse(it->str())) out.push_back(*d);
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
  std::vector<core::Digest> roots;
  KILN_ASSIGN(auto images, ReadIndex());
  for (const auto& img : images) roots.push_back(img.target.digest);
  ScanDigests(cache_dir(), roots);

  std::unordered_set<std::string> live;
  std::deque<core::Digest> queue(roots.begin(), roots.end());
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
      for (const auto& l : m->layers) queue.push_back(l.digest);
      if (m->subject) queue.push_back(m->subject->digest);
    }
  }

  PruneReport report;
  std::string blobs = root_ + "/blobs/sha256";
  ForEachFile(blobs, [&](const std::string& hex) {
    if (live.count(hex)) return;
    std::string path = blobs + "/" + hex;
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && unlink(path.c_str()) == 0) {
      ++report.blobs_removed;
      report.bytes_freed += static_cast<uint64_t>(st.st_size);
    }
  });
  std::string remote = root_ + "/remote/sha256";
  ForEachFile(remote, [&](const std::string& name) {
    std::string hex = name.substr(0, name.find('.'));
    if (live.count(hex) && name.ends_with(".json") && name.size() == 69) return;
    if (unlink((remote + "/" + name).c_str()) == 0) ++report.remote_records_removed;
  });
  // With the exclusive lock no other kiln process has the store open: whatever is in tmp/
  // (and any temp file of an atomic write) belongs to a write that died.
  ForEachFile(tmp_dir(), [&](const std::string& name) {
    if (unlink((tmp_dir() + "/" + name).c_str()) == 0) ++report.temp_files_removed;
  });
  ForEachFile(root_, [&](const std::string& name) {
    if (name.find(".tmp-") != std::string::npos && unlink((root_ + "/" + name).c_str()) == 0)
      ++report.temp_files_removed;
  });
  return report;
}

}  // namespace kiln::layers
