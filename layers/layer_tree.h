// LayerTree: the sorted mode of the layer writer, for the builder's COPY/ADD and `kiln layer
// create`. Collect entries in any order (content from host files or memory, per-entry metadata
// overrides), then WriteTo sorts them (parents first, byte order per path component),
// synthesises missing parent directories, turns repeated inodes into hard links and feeds a
// LayerWriter — so the same tree gives the same bytes whatever the read order or mtimes
// beyond SOURCE_DATE_EPOCH.
#pragma once


#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/compact.h"
#include "core/error.h"
#include "layers/blob_store.h"
#include "layers/layer_writer.h"
#include "layers/tar_entry.h"
#include "layers/windows_layer.h"

namespace kiln::layers {

// Per-entry overrides; unset fields keep what the source says (host file) or the defaults
// (uid/gid 0, mode 0644 files / 0755 directories, time 0 or SOURCE_DATE_EPOCH).
struct EntryMeta {
  std::optional<uint32_t> mode;  // permission bits (Linux chmod)
  std::optional<uint32_t> uid, gid;
  std::optional<TarTime> mtime;
  std::optional<windows::Owner> windows_owner;     // picks MSWINDOWS.rawsd (see Owner)
  std::optional<uint32_t> windows_attributes;      // MSWINDOWS.fileattr
  std::map<std::string, std::string> xattrs;       // Linux extended attributes, added
  bool operator==(const EntryMeta&) const = default;
};

// What a caller already knows from stat(2) of a host file; with it the file is not stat'ed
// again when the layer is written (the size seen here is the size written).
struct HostFileInfo {
  uint32_t mode = 0644;
  TarTime mtime;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t nlink = 1;
  // The size the caller saw; unset: the file is fstat'ed for it when written.
  std::optional<uint64_t> size;
};

class LayerTree {
 public:
  explicit LayerTree(LayerFlavor flavor) : flavor_(flavor) {}

  // Destinations are layer names: "usr/bin/x" (Linux) or "Files/app/x.exe" (Windows; see
  // windows::LayerNameFromContainerPath). Adding a destination again replaces it (COPY's
  // last-one-wins), except that a directory with children can only be replaced by a
  // directory. Windows names that differ only by case are the same entry for directories and a
  // kInvalidInput collision for anything else. Unsafe names ("..", absolute, stray ':') fail.

  // A regular file whose bytes are read from `host_path` when the layer is written. The path
  // itself must not be a symlink (resolve it first): it is opened with O_NOFOLLOW so a file
  // swapped for a link after the caller looked at it cannot pull other files into the layer.
  // `tag` is the caller's id of the file, handed back to WriteTo's `on_file`.
  static constexpr uint32_t kNoTag = 0xffffffffu;
  core::Status AddFile(std::string_view dest, std::string_view host_path,
                       const EntryMeta& meta = {},
                       const std::optional<HostFileInfo>& info = std::nullopt,
                       uint32_t tag = kNoTag);
  // A regular file with the given bytes.
  core::Status AddData(std::string_view dest, std::string data, const EntryMeta& meta = {});
  core::Status AddDirectory(std::string_view dest, const EntryMeta& meta = {});
  // `directory` marks a Windows directory symlink (FILE_ATTRIBUTE_DIRECTORY); targets are
  // written as given (Windows: '/' becomes '\\').
  core::Status AddSymlink(std::string_view dest, std::string target, const EntryMeta& meta = {},
                          bool directory = false);
  // A Windows junction (mount point reparse point, MSWINDOWS.mountpoint): a directory link
  // whose target must be an absolute container path ("C:\\app\\bin" or "/app/bin"; written
  // as "C:\\app\\bin"). Windows flavour only.
  core::Status AddJunction(std::string_view dest, std::string_view target,
                           const EntryMeta& meta = {});
  // A hard link to `target`, another destination of this tree (written after it).
  core::Status AddHardLink(std::string_view dest, std::string_view target);
  // Deletes `dest` of lower layers (".wh.<name>"); Windows: only under Files/.
  core::Status AddWhiteout(std::string_view dest);
  // Hides everything lower layers have under `dir` (".wh..wh..opq"); Linux only.
  core::Status AddOpaque(std::string_view dir);
  // Linux device or FIFO entries.
  core::Status AddSpecial(std::string_view dest, EntryType type, uint32_t major, uint32_t minor,
                          const EntryMeta& meta = {});
  // Windows alternate data stream `stream` of file `dest`, written right after the file.
  core::Status AddStream(std::string_view dest, std::string_view stream, std::string data);
  // Changes the metadata of an existing destination; kNotFound when absent.
  core::Status SetMetadata(std::string_view dest, const EntryMeta& meta);

  bool Contains(std::string_view dest) const;
  size_t size() const { return nodes_.size(); }
  // Room for `entries` more entries in the name index (a caller that knows the count).
  void Reserve(size_t entries) { index_.Reserve(nodes_.size() + entries); }
  LayerFlavor flavor() const { return flavor_; }

  // Called once per host file whose bytes go into the layer, with AddFile's tag, the host path
  // and the sha256 of exactly those bytes (hashed as they are written, so a file is read once).
  // A host file written as a hard link to an earlier entry is not read and not reported.
  using FileDigestFn =
      std::function<void(uint32_t tag, const std::string& host_path, const core::Digest&)>;

  // Writes every entry into `writer` in the deterministic order. Host files that fail to open
  // or change size while read fail with kIo naming the host path.
  core::Status WriteTo(LayerWriter& writer, const FileDigestFn& on_file = nullptr) const;

 private:
  using Str = core::StringArena::Str;
  // In-memory content and device numbers: rare next to host files, so kept out of line.
  struct Extra {
    std::string data;
    std::vector<std::pair<std::string, std::string>> streams;  // ADS: name, data
    uint32_t devmajor = 0, devminor = 0;
  };
  enum Flag : uint8_t {
    kImplicit = 1,     // synthesised parent
    kHasChildren = 2,
    kJunction = 4,     // Windows mount point (symlink entries only)
    kHasInfo = 8,      // the HostFileInfo fields below are the caller's
    kHasSize = 16,     // ... including the size
    kHasHost = 32,     // bytes come from a host file
  };
  // One entry in ~96 bytes plus its name's characters (issue 16: tens or hundreds of thousands
  // per COPY). Names live in `names_` (interned directory + base name), other strings in its arena; the host path is an interned directory plus a base
  // name that usually shares the entry name's bytes; metadata overrides are shared.
  struct Node {
    core::PathPool::Path name;
    Str link;       // symlink target, or hard link target (a destination)
    Str host_base;  // host path: host_dirs_[host_dir - 1] + "/" + host_base (host_dir 0: whole)
    uint32_t host_dir = 0;
    uint32_t meta = 0;   // metas_[meta - 1]; 0: no overrides
    uint32_t extra = 0;  // extras_[extra - 1]; 0: none
    uint32_t tag = kNoTag;
    uint32_t hash = 0;   // IdIndex::Hash of Key(name)
    // HostFileInfo, flattened (valid with kHasInfo).
    uint32_t mode = 0;
    uint32_t mtime_nsec = 0;
    int64_t mtime_sec = 0;
    uint64_t dev = 0, ino = 0, size = 0;
    uint32_t nlink = 1;
    EntryType type = EntryType::kFile;
    uint8_t flags = 0;
    bool is_dir() const { return type == EntryType::kDirectory; }
    bool is_file() const { return type == EntryType::kFile; }
    bool has(Flag f) const { return (flags & f) != 0; }
  };
  core::Result<std::string> CheckDest(std::string_view dest) const;
  core::Status EnsureParents(const std::string& name);
  core::Result<Node*> Upsert(const std::string& name, EntryType type);
  uint32_t FindId(std::string_view name) const;
  Node* Find(std::string_view name);
  Node& NewNode(std::string_view name, uint32_t hash);
  std::string Key(std::string_view name) const;
  std::string NameOf(const Node& n) const { return names_.Get(n.name); }
  std::string HostPath(const Node& n) const;
  void SetHost(Node& n, std::string_view host_path);
  void SetMeta(Node& n, const EntryMeta& m);
  Extra& ExtraOf(Node& n);
  const Extra* ExtraOf(const Node& n) const { return n.extra ? extras_[n.extra - 1].get() : nullptr; }
  std::vector<uint32_t> Sorted() const;

  LayerFlavor flavor_;
  core::ChunkedVector<Node> nodes_;
  core::IdIndex index_;  // node ids by Key(name)
  core::PathPool names_;  // entry names; its arena holds every other string too
  std::vector<Str> host_dirs_;
  core::IdIndex host_dir_index_;
  std::vector<std::unique_ptr<EntryMeta>> metas_;
  std::vector<std::unique_ptr<Extra>> extras_;
};

// Writes `tree` as a layer into `store` (LayerWriter::Create + WriteTo + Finish); `meter`
// (optional) counts the files and bytes written; `on_file` (optional) as in WriteTo.
core::Result<LayerResult> CommitLayer(const LayerTree& tree, const LayerOptions& options,
                                      BlobStore& store,
                                      const LayerTree::FileDigestFn& on_file = nullptr,
                                      core::ProgressMeter* meter = nullptr);

}  // namespace kiln::layers
