// The build context directory: .dockerignore filtering, COPY/ADD source selection (wildcards
// per path component, as docker), directory walks, and content hashes of the files a step
// copies, memoised across builds by (path, size, mtime, ctime, inode).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/compact.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/sys_fs.h"
#include "parser/ignore_matcher.h"

namespace kiln::builder {

struct ContextEntry {
  enum class Type { kFile, kDir, kSymlink };
  Type type = Type::kFile;
  std::string rel;          // the path as named: '/'-separated from the context root; "" = root
  std::string resolved;     // where it is: `rel` with every symlink resolved inside the context
  std::string host_path;    // absolute path on the host (root + resolved: no symlink in it)
  uint32_t mode = 0;        // permission bits
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  int64_t ctime_ns = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t nlink = 1;
  std::string link_target;  // symlinks
};

// The .dockerignore decision for a context-relative path; `has_exceptions` (a "!" pattern
// exists) makes walks descend into excluded directories to find re-included children.
struct IgnoreRules {
  std::function<bool(std::string_view rel)> excluded;
  bool has_exceptions = false;
  // The patterns behind `excluded`, when it is a .dockerignore: walks then match each path
  // against them once and take its parents' answers from the directory above (same answers).
  std::shared_ptr<const parser::IgnoreMatcher> matcher;
};

class BuildContext {
 public:
  // `memo_path` is the file holding content hashes from earlier builds ("" = no memo).
  static core::Result<std::unique_ptr<BuildContext>> Open(const std::string& dir,
                                                         IgnoreRules ignore,
                                                         std::string memo_path);
  ~BuildContext();

  const std::string& root() const { return root_; }

  // Entries matching one COPY/ADD source (wildcards *, ?, [..] in any component). Every
  // symlink along the source, the last one included, is resolved inside the context
  // (ResolveInRoot: the context is "/"), and .dockerignore applies to every entry the
  // resolution reaches, so no link leads to an ignored file or out of the context. Fails with
  // kNotFound ("file not found in build context or excluded by .dockerignore") when nothing
  // matches, kInvalidInput when the source climbs out of the context or loops.
  core::Result<std::vector<ContextEntry>> Match(std::string_view source) const;

  // The one entry `path` names (no wildcards), resolved as Match does: the source of a
  // RUN --mount=type=bind. Same errors as Match.
  core::Result<ContextEntry> Resolve(std::string_view path) const;

  // Everything below directory `dir` (not included), sorted, .dockerignore applied; symlinks
  // are not followed. `rel` of each entry stays context-relative.
  core::Result<std::vector<ContextEntry>> Walk(const ContextEntry& dir) const;
  // The same entries in the same order, handed to `fn` one at a time (a COPY of 300,000 files
  // does not hold them all as ContextEntry values): at most one directory's names are held.
  core::Status WalkEach(const ContextEntry& dir,
                        const std::function<core::Status(ContextEntry&&)>& fn) const;

  // The paths below directory `dir` (relative to it, sorted) that .dockerignore hides: what a
  // view of `dir` must leave out. Excluded directories are listed whole, unless an exception
  // ("!" pattern) may re-include something in them; then their excluded children are listed.
  core::Result<std::vector<std::string>> HiddenBelow(const ContextEntry& dir) const;

  // sha256 of a regular file's bytes; memoised. Thread-safe.
  core::Result<core::Digest> FileDigest(const ContextEntry& file) const;
  // The same without the memo: reads and hashes (no lock taken; for a pool of hashing threads,
  // which remember the digests afterwards).
  core::Result<core::Digest> HashFile(const ContextEntry& file) const;
  // The memoised digest when the file is unchanged since it was hashed (same size, mtime,
  // ctime, inode); reads nothing.
  std::optional<core::Digest> KnownDigest(const ContextEntry& file) const;
  // Memoises a digest computed elsewhere (while the file was written into a layer).
  void RememberDigest(const ContextEntry& file, const core::Digest& digest) const;

  // sha256 over the files this build read from the context (FileDigest calls), one line
  // "<path>\0<sha256>\n" each, sorted by path: the context's digest in provenance. Empty
  // digest when no file was read.
  core::Digest ReadFilesDigest() const;

  // Writes the memo back (atomically) when it changed.
  core::Status SaveMemo() const;

  bool Excluded(std::string_view rel) const;

 private:
  BuildContext() = default;
  // .dockerignore as a property of entries: an excluded entry does not exist, except an
  // excluded directory that an exception may re-include something in.
  bool Hidden(std::string_view resolved, bool is_dir) const;
  // `name` resolved inside the root (kNotFound, kInvalidInput for loops, kUnsupported for
  // special files).
  core::Result<ContextEntry> Lookup(const std::string& name) const;
  core::Result<ContextEntry> FromStat(const std::string& rel, const std::string& resolved,
                                      const sys::FileStat& st) const;
  core::Status Expand(const std::vector<std::string>& parts, size_t index, const std::string& rel,
                      std::vector<ContextEntry>& out) const;
  // `matches`: what the .dockerignore's patterns say about `resolved` and its parents.
  core::Status WalkDir(const std::string& rel, const std::string& resolved,
                       const parser::IgnoreMatcher::DirMatches& matches,
                       const std::function<core::Status(ContextEntry&&)>& fn) const;

  std::string root_;
  IgnoreRules ignore_;
  std::string memo_path_;
  // One memo entry: 80 bytes plus the base name's characters (the directory is interned) and
  // ~11 bytes of index
  // (issue 16: it lives for the whole build, one per context file hashed or loaded).
  struct Memo {
    uint64_t size;
    int64_t mtime_ns, ctime_ns;
    uint64_t ino;
    std::array<unsigned char, 32> sha256;
  };
  struct MemoEntry {
    core::PathPool::Path path;  // the resolved path
    Memo memo;
  };
  // The memo: entries by resolved path; `memo_read_[i]`: entry i's file was read (hashed or
  // known) by this build, for ReadFilesDigest.
  class MemoTable {
   public:
    using Value = Memo;
    // The index of `path`'s entry, or core::IdIndex::kNone.
    uint32_t Find(std::string_view path) const;
    // Sets the entry of `path`; returns its index.
    uint32_t Set(std::string_view path, const Memo& memo);
    void MarkRead(uint32_t index) { read_[index] = true; }
    bool read(uint32_t index) const { return read_[index]; }
    std::string PathOf(uint32_t index) const { return paths_.Get(entries_[index].path); }
    void AppendPath(uint32_t index, std::string& out) const { paths_.AppendTo(entries_[index].path, out); }
    const Memo& MemoOf(uint32_t index) const { return entries_[index].memo; }
    size_t size() const { return entries_.size(); }
    void Clear() { *this = MemoTable(); }
    // Indices sorted by path. Kept until an entry is added (paths never change): provenance's
    // ReadFilesDigest and SaveMemo share one sort.
    const std::vector<uint32_t>& Sorted() const;

   private:
    mutable std::vector<uint32_t> sorted_;
    core::PathPool paths_;
    core::ChunkedVector<MemoEntry> entries_;
    core::IdIndex index_;
    std::vector<bool> read_;
  };
  mutable std::mutex mu_;
  mutable MemoTable memo_;
  mutable bool memo_dirty_ = false;
};

// Go filepath.Match-style match of one path component (no '/'), with '\\' escapes.
bool MatchComponent(std::string_view pattern, std::string_view name);
// Whether a source contains wildcard characters.
bool HasWildcard(std::string_view source);

}  // namespace kiln::builder
