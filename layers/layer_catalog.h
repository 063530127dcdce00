// LayerCatalog: what one layer holds, read once from its tar without keeping file content —
// each entry's header, the path the container sees (Windows: Files/ stripped), its kind and
// size, and optionally a content digest. The input of `kiln analyze` (dive's numbers), of the
// squash planner and of the flattened trees both compare.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

struct CatalogEntry {
  TarEntry header;   // as read (name = the layer name)
  std::string path;  // container path ("app/x"); whiteout/opaque: the path they act on
  CatalogKind kind = CatalogKind::kFile;
  std::string link;  // hard links: the target's container path
  core::Digest content;  // regular files, when the catalog was read with hashing

  uint64_t size() const { return header.size; }
  bool is_content() const {  // something a user sees in the container's file system
    return kind == CatalogKind::kFile || kind == CatalogKind::kDir ||
           kind == CatalogKind::kSymlink || kind == CatalogKind::kHardLink ||
           kind == CatalogKind::kOther;
  }
};

struct LayerCatalog {
  LayerFlavor flavor = LayerFlavor::kLinux;
  std::vector<CatalogEntry> entries;  // in tar order
  uint64_t tar_size = 0;              // bytes of the uncompressed tar
  uint64_t entry_bytes = 0;           // sum of every entry's size (dive's layer size)
  uint64_t hive_bytes = 0;            // Windows: bytes under Hives/
  uint64_t nonempty_hives = 0;        // Windows: non-empty files under Hives/
  bool utility_vm = false;            // Windows: carries UtilityVM/ entries
  uint64_t files = 0;                 // non-directory content entries

  // Nothing a container would see: no entries at all, or only the Windows roots and empty
  // registry deltas (a metadata-only step's layer).
  bool metadata_only() const;
};

struct CatalogOptions {
  bool hash_content = false;  // fill CatalogEntry::content (sha256 of each regular file)
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
