// Writes a ustar + PAX tar stream to a core::Writer: one header block per entry, a PAX 'x'
// header in front when the entry needs it (long or non-ASCII names, sub-second or extra times,
// big ids or sizes, xattrs, MSWINDOWS.* and other vendor records), records sorted by key, and
// nothing that depends on the machine, user or time of writing.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/io.h"
#include "layers/tar_entry.h"

namespace kiln::layers {

struct TarWriterOptions {
  // Append '/' to directory names (GNU tar and docker do; Windows layers must not).
  bool dir_trailing_slash = false;
};

class TarWriter {
 public:
  explicit TarWriter(core::Writer& out, TarWriterOptions options = {});

  // Writes the header(s) of `entry`. A regular file's entry.size bytes must follow through
  // WriteData/CopyData before the next header. Fails if the previous entry's data is incomplete
  // or the name is empty or holds a NUL.
  core::Status WriteHeader(const TarEntry& entry);
  // Content of the current entry; fails when more than its remaining size is written.
  core::Status WriteData(const void* data, size_t size);
  // Copies exactly the current entry's remaining size from `content`; fails if it ends early.
  core::Status CopyData(core::Reader& content);
  // Records `size` bytes of the current entry's data that the caller wrote to the underlying
  // writer itself (zero-copy paths); fails past the entry's size.
  core::Status AccountData(size_t size);
  // Header + content in one call (`content` may be null when entry.size is 0).
  core::Status WriteEntry(const TarEntry& entry, core::Reader* content);
  // Ends the archive with two zero blocks; the underlying writer is not closed.
  core::Status Finish();

  uint64_t bytes_written() const { return offset_; }
  // Bytes of the current entry's data still expected.
  uint64_t remaining() const { return remaining_; }

 private:
  core::Status Emit(const void* data, size_t size);
  core::Status FinishData();

  core::Writer& out_;
  TarWriterOptions options_;
  uint64_t offset_ = 0;
  uint64_t remaining_ = 0;
  uint64_t pad_ = 0;
  std::string pax_;  // reused buffer for extended headers
};

// The PAX records `entry` needs (sorted by key, framed), or "" when a plain ustar header holds
// everything. Exposed for tests and for size estimates.
std::string PaxRecordsFor(const TarEntry& entry, std::string_view stored_name);

}  // namespace kiln::layers
