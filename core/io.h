// Byte-stream seams shared by every folder: layers/ writes and reads blobs through them,
// registry/ streams HTTP bodies through them, builder/ connects the two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::core {

// A source of bytes. Read returns the number of bytes read; 0 means end of stream.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<size_t> Read(void* buffer, size_t size) = 0;
};

// A sink of bytes. Close finishes the stream (flush, commit); a Writer destroyed without Close
// discards what it would have committed.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status Write(const void* data, size_t size) = 0;
  Status Write(std::string_view data) { return Write(data.data(), data.size()); }
  virtual Status Close() { return {}; }
};

// Reads a whole stream into memory; fails with kInvalidInput past `limit` bytes.
Result<std::string> ReadAll(Reader& reader, size_t limit);
// Copies reader to writer (does not Close the writer); returns the bytes copied.
Result<uint64_t> Copy(Reader& reader, Writer& writer);

// Reader over a string held by the caller.
class StringReader : public Reader {
 public:
  explicit StringReader(std::string_view data) : data_(data) {}
  Result<size_t> Read(void* buffer, size_t size) override;

 private:
  std::string_view data_;
};

// Writer that appends to a string.
class StringWriter : public Writer {
 public:
  Status Write(const void* data, size_t size) override;
  using Writer::Write;
  std::string& data() { return data_; }

 private:
  std::string data_;
};

}  // namespace kiln::core
