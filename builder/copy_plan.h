// COPY/ADD planning: which files of a source tree (the build context or a flattened stage)
// land where in the new layer, with what metadata, and the cache-key material that describes
// exactly that (paths, types, modes, content digests; not timestamps).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "builder/build_context.h"
#include "builder/target_path.h"
#include "core/error.h"
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

struct CopyPlan {
  std::vector<CopyItem> items;
  std::vector<std::string> dirs_created;  // destination directories (for known_dirs)
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
// content digest (files) or link target (symlinks). Hashes files (memoised by the context).
core::Result<std::string> PlanMaterial(const BuildContext& ctx, const CopyPlan& plan, bool windows);

// The content digests of a plan's files, gathered in steps: the memo's, those hashed while the
// layer is written, then the rest read. `of[i]` is item i's (empty: not known yet or not a
// file).
struct PlanDigests {
  std::vector<core::Digest> of;
  uint64_t unknown_files = 0;
};
// Heredoc digests and what the context's memo knows; reads nothing.
PlanDigests KnownDigests(const BuildContext& ctx, const CopyPlan& plan);
// Reads and hashes every file still unknown (memoised by the context).
core::Status HashUnknown(const BuildContext& ctx, const CopyPlan& plan, PlanDigests& digests);
// PlanMaterial over digests already gathered (all of them known), for the first
// `digests.of.size()` items.
std::string PlanMaterial(const CopyPlan& plan, const PlanDigests& digests, bool windows);
// BuildCache::Chain(parent, key_text + PlanMaterial(plan, digests, windows)), hashed line by line
// instead of built as one string (~130 bytes per file).
core::Digest ChainPlan(const core::Digest& parent, std::string_view key_text, const CopyPlan& plan,
                       const PlanDigests& digests, bool windows);

// Adds the plan's items to `tree`, under the flavour's layer names.
core::Status AddPlanToTree(const CopyPlan& plan, const CopyOptions& options, layers::LayerTree& tree);

}  // namespace kiln::builder
