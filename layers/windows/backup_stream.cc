#include "layers/windows/backup_stream.h"

#include <algorithm>
#include <cstring>

#include "layers/windows/utf16.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint64_t GetLE(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

core::Status ReadExactly(RandomAccess& source, uint64_t offset, void* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    KILN_ASSIGN(size_t n,
                source.ReadAt(offset + done, static_cast<char*>(buffer) + done, size - done));
    if (n == 0) return Fail(ErrorCode::kInvalidInput, "backup stream is truncated");
    done += n;
  }
  return {};
}

class RangeReaderImpl : public core::Reader {
 public:
  RangeReaderImpl(RandomAccess& source, uint64_t offset, uint64_t size)
      : source_(source), offset_(offset), left_(size) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    if (left_ == 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<uint64_t>(size, left_));
    KILN_ASSIGN(size_t n, source_.ReadAt(offset_, buffer, want));
    if (n == 0) return Fail(ErrorCode::kInvalidInput, "backup stream payload is truncated");
    offset_ += n;
    left_ -= n;
    return n;
  }

 private:
  RandomAccess& source_;
  uint64_t offset_;
  uint64_t left_;
};

// Blocks are validated by SparseReader(): in order, not overlapping, inside the file, non-empty.
class SparseReaderImpl : public core::Reader {
 public:
  SparseReaderImpl(RandomAccess& source, std::vector<BackupStreamRecord> blocks, uint64_t size)
      : source_(source), blocks_(std::move(blocks)), size_(size) {}

  core::Result<size_t> Read(void* buffer, size_t size) override {
    if (pos_ >= size_ || size == 0) return size_t{0};
    if (next_ < blocks_.size() && pos_ >= blocks_[next_].header.sparse_offset) {
      const auto& b = blocks_[next_];
      uint64_t in_block = pos_ - b.header.sparse_offset;
      size_t want = static_cast<size_t>(std::min<uint64_t>(size, b.header.size - in_block));
      KILN_ASSIGN(size_t n, source_.ReadAt(b.payload_offset + in_block, buffer, want));
      if (n == 0) return Fail(ErrorCode::kInvalidInput, "sparse block is truncated");
      pos_ += n;
      if (pos_ == b.header.sparse_offset + b.header.size) ++next_;
      return n;
    }
    uint64_t hole_end = next_ < blocks_.size() ? blocks_[next_].header.sparse_offset : size_;
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, hole_end - pos_));
    std::memset(buffer, 0, n);
    pos_ += n;
    return n;
  }

 private:
  RandomAccess& source_;
  std::vector<BackupStreamRecord> blocks_;
  uint64_t size_;
  uint64_t pos_ = 0;
  size_t next_ = 0;
};

}  // namespace

core::Status BackupStreamWriter::WriteHeader(const BackupStreamHeader& header) {
  if (left_ != 0)
    return Fail(ErrorCode::kInternal,
                "backup stream: " + std::to_string(left_) + " payload bytes missing");
  std::string bytes;
  bytes.reserve(kBackupHeaderSize + header.name.size() * 2 + 8);
  const bool sparse = header.id == BackupStreamId::kSparseBlock;
  PutU32(bytes, static_cast<uint32_t>(header.id));
  PutU32(bytes, header.attributes);
  PutU64(bytes, header.size + (sparse ? 8 : 0));
  PutU32(bytes, static_cast<uint32_t>(header.name.size() * 2));
  bytes += Utf16ToBytes(header.name);
  if (sparse) PutU64(bytes, header.sparse_offset);
  KILN_TRY(out_.Write(bytes));
  left_ = header.size;
  return {};
}

core::Status BackupStreamWriter::Write(const void* data, size_t size) {
  if (size > left_)
    return Fail(ErrorCode::kInternal, "backup stream: payload longer than its header says");
  KILN_TRY(out_.Write(data, size));
  left_ -= size;
  return {};
}

core::Status BackupStreamWriter::WriteStream(BackupStreamId id, std::string_view payload) {
  BackupStreamHeader header;
  header.id = id;
  header.size = payload.size();
  KILN_TRY(WriteHeader(header));
  return Write(payload);
}

core::Status BackupStreamWriter::CopyPayload(core::Reader& content) {
  char buf[64 * 1024];
  while (left_ > 0) {
    KILN_ASSIGN(size_t n,
                content.Read(buf, static_cast<size_t>(std::min<uint64_t>(sizeof buf, left_))));
    if (n == 0) return Fail(ErrorCode::kInvalidInput, "content ended before its declared size");
    KILN_TRY(Write(buf, n));
  }
  return {};
}

core::Status BackupStreamWriter::Finish() const {
  if (left_ != 0)
    return Fail(ErrorCode::kInternal,
                "backup stream: " + std::to_string(left_) + " payload bytes missing");
  return {};
}

core::Result<size_t> StringRandomAccess::ReadAt(uint64_t offset, void* buffer, size_t size) {
  if (offset >= data_.size()) return size_t{0};
  size_t n = static_cast<size_t>(std::min<uint64_t>(size, data_.size() - offset));
  std::memcpy(buffer, data_.data() + offset, n);
  return n;
}

core::Result<std::vector<BackupStreamRecord>> IndexBackupStream(RandomAccess& source,
                                                                uint64_t start) {
  std::vector<BackupStreamRecord> records;
  const uint64_t end = source.Size();
  uint64_t pos = start;
  while (pos < end) {
    unsigned char h[kBackupHeaderSize];
    if (end - pos < kBackupHeaderSize)
      return Fail(ErrorCode::kInvalidInput, "backup stream: truncated stream header");
    KILN_TRY(ReadExactly(source, pos, h, sizeof h));
    pos += kBackupHeaderSize;
    BackupStreamRecord r;
    uint32_t id = static_cast<uint32_t>(GetLE(h, 4));
    r.header.attributes = static_cast<uint32_t>(GetLE(h + 4, 4));
    uint64_t size = GetLE(h + 8, 8);
    uint32_t name_size = static_cast<uint32_t>(GetLE(h + 16, 4));
    if (id < 1 || id > 10)
      return Fail(ErrorCode::kInvalidInput,
                  "backup stream: unknown stream id " + std::to_string(id));
    r.header.id = static_cast<BackupStreamId>(id);
    if (name_size % 2 != 0 || name_size > end - pos)
      return Fail(ErrorCode::kInvalidInput, "backup stream: bad stream name size");
    std::string name(name_size, '\0');
    KILN_TRY(ReadExactly(source, pos, name.data(), name.size()));
    r.header.name = Utf16FromBytes(name);
    pos += name_size;
    if (r.header.id == BackupStreamId::kSparseBlock) {
      unsigned char off[8];
      if (size < 8 || end - pos < 8)
        return Fail(ErrorCode::kInvalidInput, "backup stream: sparse block without offset");
      KILN_TRY(ReadExactly(source, pos, off, 8));
      r.header.sparse_offset = GetLE(off, 8);
      pos += 8;
      size -= 8;
    }
    if (size > end - pos)
      return Fail(ErrorCode::kInvalidInput, "backup stream: payload runs past the end");
    r.header.size = size;
    r.payload_offset = pos;
    pos += size;
    records.push_back(std::move(r));
  }
  return records;
}

core::Result<std::string> ReadPayload(RandomAccess& source, const BackupStreamRecord& record,
                                      uint64_t limit) {
  if (record.header.size > limit)
    return Fail(ErrorCode::kInvalidInput, "backup stream: metadata stream of " +
                                              std::to_string(record.header.size) +
                                              " bytes is larger than the limit");
  std::string out(static_cast<size_t>(record.header.size), '\0');
  KILN_TRY(ReadExactly(source, record.payload_offset, out.data(), out.size()));
  return out;
}

std::unique_ptr<core::Reader> RangeReader(RandomAccess& source, uint64_t offset, uint64_t size) {
  return std::make_unique<RangeReaderImpl>(source, offset, size);
}

core::Result<std::unique_ptr<core::Reader>> SparseReader(RandomAccess& source,
                                                         std::vector<BackupStreamRecord> blocks,
                                                         uint64_t file_size) {
  std::vector<BackupStreamRecord> kept;
  uint64_t end = 0;
  for (auto& b : blocks) {
    if (b.header.id != BackupStreamId::kSparseBlock)
      return Fail(ErrorCode::kInvalidInput, "sparse file: unexpected stream after the data stream");
    if (b.header.sparse_offset < end || b.header.sparse_offset > file_size ||
        b.header.size > file_size - b.header.sparse_offset)
      return Fail(ErrorCode::kInvalidInput, "sparse file: blocks overlap or pass the file size");
    end = b.header.sparse_offset + b.header.size;
    if (b.header.size > 0) kept.push_back(std::move(b));
  }
  return std::unique_ptr<core::Reader>(
      std::make_unique<SparseReaderImpl>(source, std::move(kept), file_size));
}

}  // namespace kiln::layers::windows
