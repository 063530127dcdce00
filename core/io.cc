#include "core/io.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kiln::core {

Result<std::string> ReadAll(Reader& reader, size_t limit) {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    KILN_ASSIGN(size_t n, reader.Read(buf, sizeof buf));
    if (n == 0) return out;
    if (out.size() + n > limit)
      return Fail(ErrorCode::kInvalidInput,
                  "stream larger than the limit of " + std::to_string(limit) + " bytes");
    out.append(buf, n);
  }
}

Result<uint64_t> Copy(Reader& reader, Writer& writer) {
  std::vector<char> buf(256 * 1024);
  uint64_t total = 0;
  for (;;) {
    KILN_ASSIGN(size_t n, reader.Read(buf.data(), buf.size()));
    if (n == 0) return total;
    KILN_TRY(writer.Write(buf.data(), n));
    total += n;
  }
}

Result<size_t> StringReader::Read(void* buffer, size_t size) {
  size_t n = std::min(size, data_.size());
  std::memcpy(buffer, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

Status StringWriter::Write(const void* data, size_t size) {
  data_.append(static_cast<const char*>(data), size);
  return {};
}

}  // namespace kiln::core
