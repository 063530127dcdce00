// The Win32 backup stream format (BackupRead/BackupWrite, WIN32_STREAM_ID; hcs-api.md 3.6): a
// sequence of 20-byte headers {id, attributes, size, name size}, a UTF-16 name and the payload.
// Windows layer transport folders store every file as a 4-byte attribute word followed by such a
// stream. Platform-neutral: kiln encodes and decodes the bytes itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/io.h"

namespace kiln::layers::windows {

enum class BackupStreamId : uint32_t {
  kData = 1,
  kEaData = 2,
  kSecurityData = 3,
  kAlternateData = 4,
  kLink = 5,
  kPropertyData = 6,
  kObjectId = 7,
  kReparseData = 8,
  kSparseBlock = 9,
  kTxfsData = 10,
};

inline constexpr uint32_t kStreamSparseAttribute = 8;
inline constexpr size_t kBackupHeaderSize = 20;  // offsetof(WIN32_STREAM_ID, cStreamName)

struct BackupStreamHeader {
  BackupStreamId id = BackupStreamId::kData;
  uint32_t attributes = 0;
  uint64_t size = 0;           // payload bytes (for a sparse block: without its 8-byte offset)
  std::u16string name;         // alternate data streams: ":name:$DATA"
  uint64_t sparse_offset = 0;  // sparse blocks only: where the block goes in the file
};

// Writes a backup stream. Each header announces its payload size; the payload must then be
// written in full before the next header (checked).
class BackupStreamWriter {
 public:
  explicit BackupStreamWriter(core::Writer& out) : out_(out) {}
  core::Status WriteHeader(const BackupStreamHeader& header);
  core::Status Write(const void* data, size_t size);
  core::Status Write(std::string_view data) { return Write(data.data(), data.size()); }
  // Header plus a whole payload.
  core::Status WriteStream(BackupStreamId id, std::string_view payload);
  // Copies exactly the announced payload from `content`; fails if it ends early.
  core::Status CopyPayload(core::Reader& content);
  // Fails if the last payload is incomplete.
  core::Status Finish() const;

 private:
  core::Writer& out_;
  uint64_t left_ = 0;
};

// Random access to bytes (a file in a transport folder, or a string in tests).
class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  // Reads up to `size` bytes at `offset`; fewer only at the end.
  virtual core::Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) = 0;
  virtual uint64_t Size() const = 0;
};

class StringRandomAccess : public RandomAccess {
 public:
  explicit StringRandomAccess(std::string data) : data_(std::move(data)) {}
  core::Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) override;
  uint64_t Size() const override { return data_.size(); }

 private:
  std::string data_;
};

// One stream of a parsed backup stream and where its payload lies in the source.
struct BackupStreamRecord {
  BackupStreamHeader header;
  uint64_t payload_offset = 0;
};

// Parses the headers of the backup stream stored in [start, source.Size()) without reading the
// payloads. Fails with kInvalidInput on truncation, odd name sizes or payloads past the end.
core::Result<std::vector<BackupStreamRecord>> IndexBackupStream(RandomAccess& source,
                                                                uint64_t start);

// Reads a (small) payload fully; fails beyond `limit` bytes.
core::Result<std::string> ReadPayload(RandomAccess& source, const BackupStreamRecord& record,
                                      uint64_t limit);

// A Reader over [offset, offset + size) of `source`.
std::unique_ptr<core::Reader> RangeReader(RandomAccess& source, uint64_t offset, uint64_t size);

// A Reader producing a sparse file densely (as go-winio's copySparse does): zeros for holes, block
// payloads in place. `blocks` are the SPARSE_BLOCK records in order (the terminating empty block
// included or not); `file_size` is the final size. Fails when blocks go backwards, overlap or
// pass file_size.
core::Result<std::unique_ptr<core::Reader>> SparseReader(RandomAccess& source,
                                                         std::vector<BackupStreamRecord> blocks,
                                                         uint64_t file_size);

}  // namespace kiln::layers::windows
