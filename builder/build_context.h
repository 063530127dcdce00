// The build context directory: .dockerignore filtering, COPY/ADD source selection (wildcards
// per path component, as docker), directory walks, and content hashes of the files a step
// copies, memoised across builds by (path, size, mtime, ctime, inode).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/error.h"

namespace kiln::builder {

struct ContextEntry {
  enum class Type { kFile, kDir, kSymlink };
  Type type = Type::kFile;
  std::string rel;          // '/'-separated path from the context root; "" = the root
  std::string host_path;    // absolute path on the host
  uint32_t mode = 0;        // permission bits
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  int64_t ctime_ns = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  nlink_t nlink = 1;
  std::string link_target;  // symlinks
};

// The .dockerignore decision for a context-relative path; `has_exceptions` (a "!" pattern
// exists) makes walks descend into excluded directories to find re-included children.
struct IgnoreRules {
  std::function<bool(std::string_view rel)> excluded;
  bool has_exceptions = false;
};

class BuildContext {
 public:
  // `memo_path` is the file holding content hashes from earlier builds ("" = no memo).
  static core::Result<std::unique_ptr<BuildContext>> Open(const std::string& dir,
                                                         IgnoreRules ignore,
                                                         std::string memo_path);
  ~BuildContext();

  const std::string& root() const { return root_; }

  // Entries matching one COPY/ADD source (wildcards *, ?, [..] in any component). A source
  // that names a symlink resolves to what it points at inside the context. Fails with
  // kNotFound ("file not found in build context or excluded by .dockerignore") when nothing
  // matches, kInvalidInput when the source climbs out of the context.
  core::Result<std::vector<ContextEntry>> Match(std::string_view source) const;

  // Everything below directory `dir` (not included), sorted, .dockerignore applied; symlinks
  // are not followed. `rel` of each entry stays context-relative.
  core::Result<std::vector<ContextEntry>> Walk(const ContextEntry& dir) const;

  // sha256 of a regular file's bytes; memoised. Thread-safe.
  core::Result<core::Digest> FileDigest(const ContextEntry& file) const;

  // Writes the memo back (atomically) when it changed.
  core::Status SaveMemo() const;

  bool Excluded(std::string_view rel) const;

 private:
  BuildContext() = default;
  core::Result<ContextEntry> Stat(const std::string& rel, bool follow) const;
  core::Status Expand(const std::vector<std::string>& parts, size_t index, const std::string& rel,
                      std::vector<ContextEntry>& out) const;

  std::string root_;
  IgnoreRules ignore_;
  std::string memo_path_;
  struct Memo {
    uint64_t size;
    int64_t mtime_ns, ctime_ns;
    uint64_t ino;
    std::string digest;
  };
  mutable std::mutex mu_;
  mutable std::map<std::string, Memo> memo_;
  mutable bool memo_dirty_ = false;
};

// Go filepath.Match-style match of one path component (no '/'), with '\\' escapes.
bool MatchComponent(std::string_view pattern, std::string_view name);
// Whether a source contains wildcard characters.
bool HasWildcard(std::string_view source);

}  // namespace kiln::builder
