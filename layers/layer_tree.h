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
  core::Status AddFile(std::string_view dest, std::string host_path, const EntryMeta& meta = {},
                       const std::optional<HostFileInfo>& info = std::nullopt);
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
  LayerFlavor flavor() const { return flavor_; }

  // Called once per host file whose bytes go into the layer, with the sha256 of exactly those
  // bytes (hashed as they are written, so a file is read once). A host file written as a hard
  // link to an earlier entry is not read and not reported.
  using FileDigestFn = std::function<void(const std::string& host_path, const core::Digest&)>;

  // Writes every entry into `writer` in the deterministic order. Host files that fail to open
  // or change size while read fail with kIo naming the host path.
  core::Status WriteTo(LayerWriter& writer, const FileDigestFn& on_file = nullptr) const;

 private:
  // In-memory content: rare next to host files, so kept out of line.
  struct Extra {
    std::string data;
    std::vector<std::pair<std::string, std::string>> streams;  // ADS: name, data
  };
  // Kept small (tens of thousands per COPY): everything optional lives behind a pointer.
  struct Node {
    std::string name;
    std::string linkname;  // symlink target, or hard link target (a destination)
    std::string host_path;
    std::unique_ptr<EntryMeta> meta;  // null: no overrides
    std::unique_ptr<Extra> extra;
    std::optional<HostFileInfo> info;
    uint32_t devmajor = 0, devminor = 0;
    EntryType type = EntryType::kFile;
    bool implicit = false;  // synthesised parent
    bool has_children = false;
    bool junction = false;  // Windows mount point (symlink entries only)
    bool is_dir() const { return type == EntryType::kDirectory; }
    bool is_file() const { return type == EntryType::kFile; }
    void SetMeta(const EntryMeta& m);
  };
  core::Result<std::string> CheckDest(std::string_view dest) const;
  core::Status EnsureParents(const std::string& name);
  core::Result<Node*> Upsert(const std::string& name, EntryType type);
  Node* Find(std::string_view name);
  std::string Key(std::string_view name) const;
  std::vector<const Node*> Sorted() const;
  core::Status WriteNode(LayerWriter& writer, const Node& node, std::string* hardlink) const;

  LayerFlavor flavor_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, size_t> index_;
};

// Writes `tree` as a layer into `store` (LayerWriter::Create + WriteTo + Finish); `meter`
// (optional) counts the files and bytes written; `on_file` (optional) as in WriteTo.
core::Result<LayerResult> CommitLayer(const LayerTree& tree, const LayerOptions& options,
                                      BlobStore& store,
                                      const LayerTree::FileDigestFn& on_file = nullptr,
                                      core::ProgressMeter* meter = nullptr);

}  // namespace kiln::layers
