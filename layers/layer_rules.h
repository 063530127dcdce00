// The ordering, naming and uniqueness rules of a layer, checked entry by entry: Windows
// (windows-layer-format.md 1.2, 1.5, 1.7 and checklist 6) and Linux (safe names, no duplicates,
// hard links after their targets). LayerWriter enforces them while writing; CheckWindowsLayer
// reports every breach of a finished layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/compact.h"
#include "layers/layer_flavor.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

struct Violation {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  uint64_t index = 0;  // 1-based entry number; 0 for whole-layer findings
  std::string name;    // the entry's name as stored (empty for whole-layer findings)
  std::string rule;    // e.g. "1.7.1 parent-before-child"
  std::string message;
  // "entry 12 \"Files/a/b\": [1.7.1 parent-before-child] ..." in one line.
  std::string ToString() const;
};

class LayerRules {
 public:
  // `base_layer`: a Windows layer with no parents (no whiteouts, no Hives needed, hard links
  // only to files of the same layer).
  LayerRules(LayerFlavor flavor, bool base_layer);

  // Checks the next entry against the ones before it, appends what it breaks, and remembers
  // it. Warnings are for records that are only recommended (6.2).
  void Check(const TarEntry& entry, std::vector<Violation>& out);
  // Whole-layer checks once every entry was seen (Files/Hives present).
  void Finish(std::vector<Violation>& out);

  uint64_t entries() const { return index_; }

 private:
  void CheckWindows(const TarEntry& e, std::vector<Violation>& out);
  void CheckLinux(const TarEntry& e, std::vector<Violation>& out);
  void Add(std::vector<Violation>& out, const TarEntry& e, Violation::Severity s,
           const char* rule, std::string message);
  std::string Key(std::string_view name) const;

  LayerFlavor flavor_;
  bool base_;
  uint64_t index_ = 0;
  // Every entry seen (names folded for Windows) and its type: duplicates, parents (directories)
  // and hard-link targets (regular files). Most of the memory of a big layer, so compact: the
  // key as an interned directory plus its base name, 16 bytes of record and ~11 of index.
  struct Seen {
    core::PathPool::Path key;
    EntryType type = EntryType::kFile;
  };
  core::PathPool keys_;
  core::ChunkedVector<Seen> seen_;
  core::IdIndex seen_index_;
  uint32_t FindSeen(std::string_view key) const;
  bool Remember(std::string_view key, EntryType type);  // false: seen before
  bool Is(std::string_view key, EntryType type) const;
  std::string last_file_;                  // the entry an ADS may follow
  bool saw_files_ = false, saw_hives_ = false;
};

// Why a Linux layer name is unsafe (absolute, empty, "." or ".." components), or nullptr.
const char* UnsafeLinuxName(std::string_view name);

// True for whiteout names (".wh.<name>" or the opaque marker ".wh..wh..opq") in the last component.
bool IsWhiteoutName(std::string_view name);
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

}  // namespace kiln::layers
