#include "layers/windows/transport_writer.h"

#include "core/cancel.h"
#include "layers/windows/layer_entry.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

std::string Parent(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

core::Status EntryError(const TarEntry& entry, std::string why) {
  return Fail(ErrorCode::kInvalidInput, "layer entry \"" + entry.name + "\": " + why);
}

core::Status CopyExactly(core::Reader& content, uint64_t size, core::Writer& out,
                         const TarEntry& entry) {
  char buf[64 * 1024];
  while (size > 0) {
    KILN_ASSIGN(size_t n, content.Read(buf, size < sizeof buf ? size_t(size) : sizeof buf));
    if (n == 0) return EntryError(entry, "content ended before its declared size");
    KILN_TRY(out.Write(buf, n));
    size -= n;
  }
  return {};
}

}  // namespace

TransportWriter::~TransportWriter() {
  if (current_) (void)current_->Close();
}

core::Status TransportWriter::CloseCurrent() {
  if (!current_) return {};
  auto finished = current_stream_ ? current_stream_->Finish() : core::Status();
  auto closed = current_->Close();
  current_.reset();
  current_writer_.reset();
  current_stream_.reset();
  current_name_.clear();
  KILN_TRY(finished);
  return closed;
}

core::Status TransportWriter::Add(const TarEntry& entry, core::Reader* content) {
  KILN_TRY(core::CheckCancelled());
  if (current_ && entry.is_file()) {
    KILN_ASSIGN(auto stream, AlternateStreamOf(entry.name, current_name_));
    if (stream) return AddAlternateStream(*stream, entry, content);
  }
  KILN_TRY(CloseCurrent());
  if (IsAtOrUnder(entry.name, kUtilityVm)) {
    skipped_utility_vm_ = true;
    return Drain(content);
  }
  if (auto target = WhiteoutTarget(entry.name)) return AddWhiteout(entry, *target);
  KILN_TRY(CheckEntryName(entry.name));
  if (entry.type == EntryType::kHardLink) return AddLink(entry);
  return AddFileOrDirectory(entry, content);
}

core::Status TransportWriter::AddAlternateStream(const std::string& stream, const TarEntry& entry,
                                                 core::Reader* content) {
  if (!current_stream_) {  // Hives files carry no streams of their own
    KILN_TRY(Drain(content));
    return {};
  }
  return WriteAlternateStream(stream, entry.size, content, *current_stream_);
}

core::Status TransportWriter::AddWhiteout(const TarEntry& entry, const std::string& target) {
  KILN_TRY(CheckEntryName(target));
  if (!IsUnder(target, kFiles))
    return EntryError(entry, "invalid tombstone: deletions are only allowed under Files/");
  tombstones_.push_back(target);
  return {};
}

core::Status TransportWriter::AddLink(const TarEntry& entry) {
  KILN_TRY(CheckEntryName(entry.linkname));
  if (!IsUnder(entry.name, kFiles) || !IsUnder(entry.linkname, kFiles))
    return EntryError(entry, "invalid hard link: both names must be under Files/");
  KILN_TRY(CheckParent(entry.name));
  if (!added_.insert(FoldCaseAscii(entry.name)).second) return EntryError(entry, "duplicate entry");
  links_.push_back({entry.name, entry.linkname});
  return {};
}

core::Status TransportWriter::CheckParent(const std::string& name) const {
  std::string parent = Parent(name);
  if (parent.empty()) return {};
  if (!directories_set_.contains(FoldCaseAscii(parent)))
    return Fail(ErrorCode::kInvalidInput, "layer entry \"" + name + "\": its parent directory \"" +
                                              parent + "\" has no entry before it (or is a link)");
  return {};
}

core::Status TransportWriter::AddFileOrDirectory(const TarEntry& entry, core::Reader* content) {
  const bool top = entry.name == kFiles || entry.name == kHives;
  const bool in_files = IsUnder(entry.name, kFiles);
  const bool in_hives = IsUnder(entry.name, kHives);
  if (!top && !in_files && !in_hives)
    return EntryError(entry, "Windows layers hold only Files/, Hives/ and UtilityVM/");
  if (entry.type != EntryType::kFile && entry.type != EntryType::kDirectory &&
      entry.type != EntryType::kSymlink)
    return EntryError(entry, "devices and fifos cannot be in a Windows layer");
  if (in_hives && entry.type == EntryType::kSymlink)
    return EntryError(entry, "links are not allowed under Hives/");
  if (top && !entry.is_dir()) return EntryError(entry, "must be a directory");
  KILN_TRY(CheckParent(entry.name));
  if (!added_.insert(FoldCaseAscii(entry.name)).second) return EntryError(entry, "duplicate entry");

  FileBasicInfo info = BasicInfoFromEntry(entry);
  const bool is_dir = (info.attributes & kAttrDirectory) != 0 || entry.is_dir();
  if (is_dir) info.attributes |= kAttrDirectory;
  std::filesystem::path path = EntryPath(root_, entry.name);
  std::filesystem::path file_path = path;
  if (is_dir) {
    directories_.push_back({entry.name, info});
    if (entry.type == EntryType::kSymlink) {
      deferred_dirs_.push_back(path);  // a directory reparse point: created at Finish
    } else {
      KILN_TRY(fs_.MakeDirectory(path));
      directories_set_.insert(FoldCaseAscii(entry.name));
    }
    file_path += PathFromUtf8(kDirMetadataSuffix);
  }
  KILN_ASSIGN(current_, fs_.CreateNew(file_path, LayerFs::Kind::kFile));
  current_name_ = entry.name;
  FileBasicInfo stripped = info;
  stripped.attributes = 0;  // the transport file itself carries no attributes (hcsshim)
  KILN_TRY(current_->SetBasicInfo(stripped));
  current_writer_ = std::make_unique<FsFileWriter>(*current_);
  if (in_hives) {
    // Hive deltas are plain files: their content is the data stream alone (hcsshim writes them
    // through BackupWrite without security, which stores just the data).
    if (!entry.is_file() || entry.size == 0) return {};
    if (!content) return EntryError(entry, "content missing");
    KILN_TRY(CopyExactly(*content, entry.size, *current_writer_, entry));
    return {};
  }
  uint8_t attr[4];
  for (int i = 0; i < 4; ++i) attr[i] = static_cast<uint8_t>(info.attributes >> (8 * i));
  KILN_TRY(current_->Write(attr, sizeof attr));
  current_stream_ = std::make_unique<BackupStreamWriter>(*current_writer_);
  auto written = WriteEntryStreams(entry, content, *current_stream_);
  if (!written) return Fail(written.error().Wrap("layer entry \"" + entry.name + "\""));
  return {};
}

core::Status TransportWriter::Finish() {
  KILN_TRY(CloseCurrent());
  for (const auto& dir : deferred_dirs_) KILN_TRY(fs_.MakeDirectory(dir));
  deferred_dirs_.clear();
  return {};
}

}  // namespace kiln::layers::windows
