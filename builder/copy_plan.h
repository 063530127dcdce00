// COPY/ADD planning: which files of a source tree (the build context or a flattened stage)
// land where in the new layer, with what metadata, and the cache-key material that describes
// exactly that (paths, types, modes, content digests; not timestamps).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <utility>

#include "builder/build_context.h"
#include "builder/target_path.h"
#include "core/compact.h"
#include "core/error.h"
#include "core/progress.h"
#include "layers/layer_tree.h"
#include "parser/ignore_matcher.h"

namespace kiln::builder {

struct CopyOptions {
  bool windows = false;
  bool parents = false;                          // --parents
  std::optional<parser::IgnoreMatcher> exclude;  // --exclude
  layers::EntryMeta meta;                        // --chown/--chmod, Windows owner
  bool source_is_stage = false;                  // --from: Windows sources may be C:\ paths
};

struct CopyItem {
  std::string dest;  // absolute target path ("/app/x")
  ContextEntry source;
  std::string data;  // heredoc sources (source.type == kFile, host_path empty)
  bool from_data = false;
  bool dir_symlink = false;  // Windows: a symlink to a directory
};

// The items of a COPY/ADD, stored compactly (issue 16: one per context file, alive for the
// whole step): ~104 bytes of record plus the base name's characters (destination and resolved
// path as interned directories sharing one base name); host paths are derived from an
// interned root and the resolved path. Items come back
// as CopyItem values; their `source.rel` is not kept (empty): planning is done with it.
class CopyPlan {
 public:
  size_t size() const { return recs_.size(); }
  void Add(const CopyItem& item);
  // Appends every item of `other`.
  void Append(const CopyPlan& other);
  CopyItem item(size_t i) const;

  // Cheap views of item i.
  ContextEntry::Type type(size_t i) const { return recs_[i].type; }
  bool from_data(size_t i) const { return recs_[i].from_data; }
  // Bytes of a file item (its data for heredocs).
  uint64_t file_size(size_t i) const;
  std::string dest(size_t i) const { return paths_.Get(recs_[i].dest); }

  std::vector<std::string> dirs_created;  // destination directories (for known_dirs)

 private:
  friend void MaterialLine(const CopyPlan&, size_t, const unsigned char*, bool, std::string&);
  using Str = core::StringArena::Str;
  struct Rec {
    core::PathPool::Path dest, resolved;
    Str link;
    Str host;           // the host path when it is not roots_[root - 1] + "/" + resolved
    uint32_t root = 0;  // roots_[root - 1]; 0: `host` (or no host path)
    uint32_t data = 0;  // datas_[data - 1]
    uint32_t mode = 0, mtime_nsec = 0, nlink = 1;
    int64_t mtime_sec = 0, ctime_ns = 0;
    uint64_t size = 0, dev = 0, ino = 0;
    ContextEntry::Type type = ContextEntry::Type::kFile;
    bool from_data = false, dir_symlink = false;
  };
  core::PathPool paths_;  // destinations and resolved paths; its arena holds the other strings
  core::ChunkedVector<Rec> recs_;
  std::vector<std::string> roots_;
  std::vector<std::string> datas_;
};

// A COPY/ADD source as a '/'-path: Windows targets write '\\' as separator (docker on Windows has
// no escapes in source patterns); sources of a Windows stage may start with "C:".
std::string NormalizeSource(std::string_view source, bool windows, bool windows_stage);

// Expands every source against `ctx`, resolves destinations (docker's rules: several sources
// or a wildcard need a directory destination; a directory's contents go into the destination;
// a file goes to dest/basename when dest is a directory, else to dest), applies --exclude.
// `dest_known_dir` says whether `dest` names a directory an earlier step made.
core::Result<CopyPlan> PlanCopy(const BuildContext& ctx, const std::vector<std::string>& sources,
                                const TargetPath& dest, bool dest_known_dir,
                                const CopyOptions& options);

// The second half of PlanCopy: destinations for entries already matched in `ctx` (ADD plans each
// of its sources this way). `into_dir`: the destination is a directory.
core::Result<CopyPlan> PlanEntries(const BuildContext& ctx, std::vector<ContextEntry> matches,
                                   const TargetPath& dest, bool into_dir,
                                   const CopyOptions& options);

// Cache-key material: one line per item with destination, type, mode (Linux), size and the
// content digest (files) or link target (symlinks). Hashes files (memoised by the context),
// counting them into `meter` (optional) as its "hashing" phase.
core::Result<std::string> PlanMaterial(const BuildContext& ctx, const CopyPlan& plan, bool windows,
                                       core::ProgressMeter* meter = nullptr);

// Regular files of the plan and their bytes (the totals COPY/ADD progress counts towards).
std::pair<uint64_t, uint64_t> PlanFileTotals(const CopyPlan& plan);

// The content digests of a plan's files, gathered in steps: the memo's, those hashed while the
// layer is written, then the rest read. `of[i]` is item i's (empty: not known yet or not a
// file).
struct PlanDigests {
  // sha256 bytes per item, and whether known: 33 bytes instead of a Digest's ~145.
  std::vector<std::array<unsigned char, 32>> sha256;
  std::vector<bool> known;
  uint64_t unknown_files = 0;
  size_t size() const { return known.size(); }
  void Resize(size_t n) {
    sha256.resize(n);
    known.resize(n);
  }
  bool has(size_t i) const { return known[i]; }
  // Stores a sha256 digest (other algorithms are not produced for context files).
  void Set(size_t i, const core::Digest& d);
  core::Digest Get(size_t i) const;
};
// Heredoc digests and what the context's memo knows; reads nothing.
PlanDigests KnownDigests(const BuildContext& ctx, const CopyPlan& plan);
// Reads and hashes every file still unknown (memoised by the context), counting the plan's files
// into `meter` (optional) as its "hashing" phase (the known ones as done at once).
core::Status HashUnknown(const BuildContext& ctx, const CopyPlan& plan, PlanDigests& digests,
                         core::ProgressMeter* meter = nullptr);
// PlanMaterial over digests already gathered (all of them known), for the first
// `digests.size()` items.
std::string PlanMaterial(const CopyPlan& plan, const PlanDigests& digests, bool windows);
// BuildCache::Chain(parent, key_text + PlanMaterial(plan, digests, windows)), hashed line by line
// instead of built as one string (~130 bytes per file).
core::Digest ChainPlan(const core::Digest& parent, std::string_view key_text, const CopyPlan& plan,
                       const PlanDigests& digests, bool windows);

// Adds the plan's items to `tree`, under the flavour's layer names.
core::Status AddPlanToTree(const CopyPlan& plan, const CopyOptions& options, layers::LayerTree& tree);

}  // namespace kiln::builder
