// Reads tar streams entry by entry: POSIX ustar + PAX (per-entry and global headers, every
// MSWINDOWS.* record, xattrs, vendor records kept verbatim), GNU (long names 'L'/'K', base-256
// numbers) and v7 headers, as found in foreign base layers. Streaming: one entry's data at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

struct TarReaderOptions {
  // Largest PAX extended header or GNU long name/link accepted; bigger ones are rejected as
  // hostile (real records are a few KiB at most).
  size_t max_header_size = 1 << 20;
};

class TarReader {
 public:
  explicit TarReader(core::Reader& in, TarReaderOptions options = {});
  ~TarReader();

  // The next entry, or nullptr at the end of the archive. Skips what is left of the previous
  // entry's data. Fails (kInvalidInput, naming the entry number and byte offset) on truncation,
  // bad checksums, malformed numbers, bad PAX records and unsupported entry types (GNU sparse).
  core::Result<const TarEntry*> Next();
  // The current entry's data: entry.size bytes for regular files, nothing for other types.
  // Fails if the archive ends before them.
  core::Reader& content();

  // Bytes consumed from the input so far.
  uint64_t offset() const;
  // 1-based number of the current entry (counting only real entries, not PAX/GNU headers).
  uint64_t index() const { return index_; }

 private:
  class Input;
  class Content;
  core::Status ReadBody(uint64_t size, std::string& out, const char* what);
  core::Status BuildEntry(const char* block);
  core::Status ApplyPax(const std::vector<std::pair<std::string, std::string>>& records,
                        bool global);
  core::Status ApplyRecord(const std::string& key, const std::string& value, bool global);
  core::Result<const TarEntry*> Finalize(char flag);
  std::string Where() const;

  std::unique_ptr<Input> in_;
  std::unique_ptr<Content> content_;
  TarReaderOptions options_;
  TarEntry entry_;
  uint64_t index_ = 0;
  uint64_t header_offset_ = 0;
  bool done_ = false;
  std::vector<std::pair<std::string, std::string>> global_pax_;
};

// Normalises a stored tar name the way TarEntry.name holds it: leading "./" and trailing '/'
// removed ("." becomes ""). A leading '/' or ".." components are kept for validators to see.
std::string NormalizeTarName(std::string_view stored);

}  // namespace kiln::layers
