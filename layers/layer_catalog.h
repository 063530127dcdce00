// LayerCatalog: what one layer holds, read once from its tar without keeping file content —
// each entry's path the container sees (Windows: Files/ stripped), its kind, type and size,
// and optionally a content digest. The input of `kiln analyze` (dive's numbers), of the
// squash planner and of the flattened trees both compare.
//
// Compact by design (issue 16: analyze and shrink of a 300,000-file image): an entry is a
// 48-byte record; paths live in the catalog's PathPool (interned directory + base name), the
// tar name is derived from the path (NameOf), full headers are kept only for directories (the
// squash planner writes a directory's last metadata at its first position), digests as 32 raw
// bytes. Everything else of a header is read again from the layer by whoever writes it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/compact.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"
#include "layers/layer_flavor.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

enum class CatalogKind {
  kFile,      // regular file
  kDir,
  kSymlink,
  kHardLink,
  kOther,     // devices, FIFOs
  kWhiteout,  // ".wh.<name>": path is the deleted path
  kOpaque,    // ".wh..wh..opq": path is the directory whose lower content it hides
  kStream,    // Windows alternate data stream "<file>:<name>" (belongs to the entry before it)
  kRoot,      // Windows "Files" / "Hives" / "UtilityVM" top-level directory entries
  kHive,      // Windows Hives/<name> (registry delta) and anything else under Hives/
  kUtilityVm  // Windows UtilityVM/... (Hyper-V utility VM image)
};

// How an entry's tar name follows from its container path (LayerCatalog::NameOf).
enum class NameForm : uint8_t {
  kPlain,     // the path itself
  kWhiteout,  // "<dir>/.wh.<base>" of the path "<dir>/<base>"
  kOpaque,    // "<path>/.wh..wh..opq"
};

struct CatalogEntry {
  static constexpr uint32_t kNone = 0xffffffffu;
  core::PathPool::Path path;  // container path ("app/x"); whiteout/opaque: the path they act on
  core::PathPool::Path link;  // hard links: the target's container path
  uint64_t bytes = 0;         // the header's size
  uint32_t dir_header = kNone;  // directories: index in LayerCatalog::dir_headers
  uint32_t hash = kNone;        // hashed regular files: index in LayerCatalog::hashes
  CatalogKind kind = CatalogKind::kFile;
  EntryType type = EntryType::kFile;
  NameForm form = NameForm::kPlain;
  bool files_prefix = false;  // Windows: the tar name has "Files/" before the path

  uint64_t size() const { return bytes; }
  bool is_file() const { return type == EntryType::kFile; }
  bool is_content() const {  // something a user sees in the container's file system
    return kind == CatalogKind::kFile || kind == CatalogKind::kDir ||
           kind == CatalogKind::kSymlink || kind == CatalogKind::kHardLink ||
           kind == CatalogKind::kOther;
  }
};

// With CatalogOptions::hash_content: sha256 of a regular file's bytes and of everything else
// a hard link would share with it (size, mode, owner, times, attributes, descriptor, xattrs).
struct EntryHashes {
  std::array<uint8_t, 32> content{};
  std::array<uint8_t, 32> metadata{};
};

struct LayerCatalog {
  LayerCatalog() = default;
  LayerCatalog(LayerCatalog&&) noexcept = default;  // (std::vector moves, never copies, them)
  LayerCatalog& operator=(LayerCatalog&&) noexcept = default;

  LayerFlavor flavor = LayerFlavor::kLinux;
  std::deque<CatalogEntry> entries;   // in tar order (a deque: growing never copies)
  core::PathPool names;               // the entries' paths and link targets
  std::deque<TarEntry> dir_headers;   // the full header of each directory entry
  std::deque<EntryHashes> hashes;     // CatalogEntry::hash
  uint64_t tar_size = 0;              // bytes of the uncompressed tar
  uint64_t entry_bytes = 0;           // sum of every entry's size (dive's layer size)
  uint64_t hive_bytes = 0;            // Windows: bytes under Hives/
  uint64_t nonempty_hives = 0;        // Windows: non-empty files under Hives/
  bool utility_vm = false;            // Windows: carries UtilityVM/ entries
  uint64_t files = 0;                 // non-directory content entries

  std::string PathOf(const CatalogEntry& e) const { return names.Get(e.path); }
  std::string LinkOf(const CatalogEntry& e) const { return names.Get(e.link); }
  // The entry's tar name as read (normalised: no "./", no trailing '/').
  std::string NameOf(const CatalogEntry& e) const;
  // A directory's full header as read (nullptr for other kinds).
  const TarEntry* DirHeader(const CatalogEntry& e) const {
    return e.dir_header == CatalogEntry::kNone ? nullptr : &dir_headers[e.dir_header];
  }
  const EntryHashes* Hashes(const CatalogEntry& e) const {
    return e.hash == CatalogEntry::kNone ? nullptr : &hashes[e.hash];
  }

  // Nothing a container would see: no entries at all, or only the Windows roots and empty
  // registry deltas (a metadata-only step's layer).
  bool metadata_only() const;
};

struct CatalogOptions {
  bool hash_content = false;  // fill LayerCatalog::hashes (sha256 of each regular file)
  uint64_t max_bytes = 0;     // decompression budget for blobs (0 = none)
};

// Reads an uncompressed layer tar. Fails (kInvalidInput) when it is not a readable tar.
core::Result<LayerCatalog> ReadCatalog(core::Reader& tar, LayerFlavor flavor,
                                       const CatalogOptions& options = {});
// The same for a layer blob (gzip, zstd or plain); tar_size counts the decompressed bytes.
core::Result<LayerCatalog> ReadCatalogBlob(core::Reader& blob, LayerFlavor flavor,
                                           const CatalogOptions& options = {});

// The key two paths are compared by: Windows names are case-insensitive (NTFS), Linux exact.
std::string PathKey(std::string_view path, LayerFlavor flavor);
// Whether `key` lies strictly under directory key `dir` ("" is the root).
bool IsUnder(std::string_view key, std::string_view dir);
// The parent directory of a path ("a/b" -> "a", "a" -> "").
std::string_view ParentPath(std::string_view path);

}  // namespace kiln::layers
