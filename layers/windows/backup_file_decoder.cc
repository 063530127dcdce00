#include "layers/windows/backup_file_decoder.h"

#include <algorithm>

#include "layers/windows/extended_attributes.h"
#include "layers/windows/file_info.h"
#include "layers/windows/reparse_point.h"
#include "layers/windows/utf16.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr uint64_t kMetadataLimit = 1 << 20;  // security descriptors, EAs, reparse buffers

core::Status Wrapped(const TarEntry& entry, core::Status status) {
  if (status) return status;
  return Fail(status.error().Wrap("exported file \"" + entry.name + "\""));
}

// ":name:$DATA" -> "name".
core::Result<std::string> StreamName(const BackupStreamHeader& header) {
  auto utf8 = Utf16ToUtf8(header.name);
  if (!utf8) return Fail(ErrorCode::kInvalidInput, "alternate stream name is not valid UTF-16");
  std::string_view name = *utf8;
  if (name.ends_with(":$DATA")) name.remove_suffix(6);
  if (name.starts_with(':')) name.remove_prefix(1);
  if (name.empty()) return Fail(ErrorCode::kInvalidInput, "alternate stream without a name");
  return std::string(name);
}

core::Status ApplyMetadataStream(RandomAccess& source, const BackupStreamRecord& r,
                                 TarEntry& entry) {
  switch (r.header.id) {
    case BackupStreamId::kSecurityData: {
      KILN_ASSIGN(entry.win_security_descriptor, ReadPayload(source, r, kMetadataLimit));
      return {};
    }
    case BackupStreamId::kEaData: {
      KILN_ASSIGN(std::string raw, ReadPayload(source, r, kMetadataLimit));
      KILN_ASSIGN(auto eas, DecodeExtendedAttributes(raw));
      for (auto& [k, v] : eas) entry.win_eas[k] = std::move(v);
      return {};
    }
    case BackupStreamId::kReparseData: {
      KILN_ASSIGN(std::string raw, ReadPayload(source, r, kMetadataLimit));
      KILN_ASSIGN(ReparsePoint point, DecodeReparsePoint(raw));
      entry.type = EntryType::kSymlink;
      entry.linkname = std::move(point.target);
      entry.win_mountpoint = point.is_mount_point;
      return {};
    }
    default:
      return {};  // LINK, PROPERTY, OBJECT_ID, TXFS: not representable in tar (go-winio too)
  }
}

}  // namespace

core::Result<DecodedBackupFile> DecodeBackupFile(RandomAccess& source, uint64_t start,
                                                 TarEntry entry) {
  DecodedBackupFile out;
  auto records = IndexBackupStream(source, start);
  if (!records) return Fail(records.error().Wrap("exported file \"" + entry.name + "\""));
  for (const auto& r : *records) {
    switch (r.header.id) {
      case BackupStreamId::kData:
        if (out.data) return Fail(ErrorCode::kInvalidInput, entry.name + ": two data streams");
        out.data = r;
        break;
      case BackupStreamId::kSparseBlock:
        if (!out.data)
          return Fail(ErrorCode::kInvalidInput, entry.name + ": sparse block before the data");
        out.sparse_blocks.push_back(r);
        break;
      case BackupStreamId::kAlternateData:
        if (r.header.attributes & kStreamSparseAttribute)
          return Fail(ErrorCode::kUnsupported,
                      entry.name + ": tar of sparse alternate data streams is unsupported");
        out.alternate_streams.push_back(r);
        break;
      default:
        KILN_TRY(Wrapped(entry, ApplyMetadataStream(source, r, entry)));
    }
  }
  entry.size = 0;
  entry.mode = 0;
  if (out.data && entry.type == EntryType::kFile) {
    if (out.data->header.size > 0 || out.sparse_blocks.empty()) {
      entry.size = out.data->header.size;
      out.sparse_blocks.clear();
    } else {
      // Sparse: BackupRead gives an empty data stream, then the allocated ranges, then an empty
      // block whose offset is the file size.
      for (const auto& b : out.sparse_blocks)
        entry.size = std::max(entry.size, b.header.sparse_offset + b.header.size);
    }
  }
  out.entry = std::move(entry);
  return out;
}

core::Status EmitBackupFile(RandomAccess& source, const DecodedBackupFile& file, DiffSink& sink) {
  const TarEntry& entry = file.entry;
  std::unique_ptr<core::Reader> content;
  if (entry.size > 0) {
    if (!file.sparse_blocks.empty()) {
      KILN_ASSIGN(content, SparseReader(source, file.sparse_blocks, entry.size));
    } else {
      content = RangeReader(source, file.data->payload_offset, entry.size);
    }
  }
  KILN_TRY(sink.Add(entry, content.get()));
  for (const auto& ads : file.alternate_streams) {
    KILN_ASSIGN(std::string stream, StreamName(ads.header));
    TarEntry alt;
    alt.type = EntryType::kFile;
    alt.name = entry.name + ":" + stream;
    alt.mode = entry.mode;
    alt.size = ads.header.size;
    alt.mtime = entry.mtime;
    alt.atime = entry.atime;
    alt.ctime = entry.ctime;
    auto alt_content = RangeReader(source, ads.payload_offset, ads.header.size);
    KILN_TRY(sink.Add(alt, ads.header.size > 0 ? alt_content.get() : nullptr));
  }
  return {};
}

}  // namespace kiln::layers::windows
