#include "layers/windows/base_layer_writer.h"

#include "core/cancel.h"
#include "layers/windows/layer_entry.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

core::Status EntryError(const TarEntry& entry, const std::string& why) {
  return Fail(ErrorCode::kInvalidInput, "base layer entry \"" + entry.name + "\": " + why);
}

// Files the utility VM processing changes, and the names hcsshim keeps their import-time bytes
// under (pkg/ociwclayer/import.go:26-31 mutatedFiles).
constexpr std::pair<std::string_view, std::string_view> kBootStoreCopies[] = {
    {"UtilityVM/Files/EFI/Microsoft/Boot/BCD", "bcd.bak"},
    {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG", "bcd.log.bak"},
    {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG1", "bcd.log1.bak"},
    {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG2", "bcd.log2.bak"},
};

constexpr std::string_view kUtilityVmFiles = "UtilityVM/Files";

std::string Parent(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

}  // namespace

BaseLayerWriter::~BaseLayerWriter() {
  if (current_) (void)current_->Close();
}

core::Status BaseLayerWriter::CloseCurrent() {
  if (!current_) return {};
  auto finished = current_stream_->Finish();
  auto closed = current_->Close();
  current_.reset();
  current_writer_.reset();
  current_stream_.reset();
  std::string name = std::move(current_name_);
  current_name_.clear();
  KILN_TRY(finished);
  KILN_TRY(closed);
  return SaveBootStoreCopy(name);
}

// hcsshim tees the entry's backup stream into a plain file (BackupFileWriter without security),
// which keeps the data; kiln copies the data of the file it just wrote.
core::Status BaseLayerWriter::SaveBootStoreCopy(const std::string& name) {
  for (const auto& [entry, copy] : kBootStoreCopies) {
    if (name != entry) continue;
    KILN_ASSIGN(auto source, fs_.Open(EntryPath(root_, name)));
    KILN_ASSIGN(auto target, fs_.CreateNew(root_ / PathFromUtf8(copy), LayerFs::Kind::kFile));
    std::string buffer(1 << 16, '\0');
    for (uint64_t at = 0;;) {
      KILN_ASSIGN(size_t n, source->ReadAt(at, buffer.data(), buffer.size()));
      if (n == 0) break;
      KILN_TRY(target->Write(buffer.data(), n));
      at += n;
    }
    KILN_TRY(source->Close());
    return target->Close();
  }
  return {};
}

core::Status BaseLayerWriter::Add(const TarEntry& entry, core::Reader* content) {
  KILN_TRY(core::CheckCancelled());
  if (current_ && entry.is_file()) {
    KILN_ASSIGN(auto stream, AlternateStreamOf(entry.name, current_name_));
    if (stream) return WriteAlternateStream(*stream, entry.size, content, *current_stream_);
  }
  KILN_TRY(CloseCurrent());
  if (IsAtOrUnder(entry.name, kUtilityVm) && entry.name != kUtilityVm &&
      !IsAtOrUnder(entry.name, kUtilityVmFiles))
    return EntryError(entry, "under UtilityVM/ only Files/ belongs in a layer");
  if (entry.name == kUtilityVmFiles) has_utility_vm_ = true;
  if (WhiteoutTarget(entry.name)) return EntryError(entry, "base layer cannot have tombstones");
  KILN_TRY(CheckEntryName(entry.name));
  if (entry.type == EntryType::kHardLink) return AddLink(entry);
  return AddFileOrDirectory(entry, content);
}

core::Status BaseLayerWriter::CheckParent(const std::string& name) const {
  std::string parent = Parent(name);
  if (parent.empty() || directories_.contains(FoldCaseAscii(parent))) return {};
  return Fail(ErrorCode::kInvalidInput, "base layer entry \"" + name +
                                            "\": its parent directory \"" + parent +
                                            "\" has no entry before it (or is a link)");
}

core::Status BaseLayerWriter::AddLink(const TarEntry& entry) {
  KILN_TRY(CheckEntryName(entry.linkname));
  const bool in_files = IsUnder(entry.name, kFiles) && IsUnder(entry.linkname, kFiles);
  const bool in_uvm =
      IsUnder(entry.name, kUtilityVmFiles) && IsUnder(entry.linkname, kUtilityVmFiles);
  if (!in_files && !in_uvm)
    return EntryError(entry,
                      "invalid hard link: both names must be under Files/ (or UtilityVM/Files/)");
  if (!added_.contains(FoldCaseAscii(entry.linkname)) ||
      directories_.contains(FoldCaseAscii(entry.linkname)))
    return EntryError(entry,
                      "hard link target \"" + entry.linkname + "\" is not a file written before");
  KILN_TRY(CheckParent(entry.name));
  if (!added_.insert(FoldCaseAscii(entry.name)).second) return EntryError(entry, "duplicate entry");
  return fs_.HardLink(EntryPath(root_, entry.linkname), EntryPath(root_, entry.name));
}

core::Status BaseLayerWriter::AddFileOrDirectory(const TarEntry& entry, core::Reader* content) {
  if (!IsAtOrUnder(entry.name, kFiles) && !IsAtOrUnder(entry.name, kHives) &&
      !IsAtOrUnder(entry.name, kUtilityVm))
    return EntryError(entry, "Windows layers hold only Files/, Hives/ and UtilityVM/");
  if (entry.type != EntryType::kFile && entry.type != EntryType::kDirectory &&
      entry.type != EntryType::kSymlink)
    return EntryError(entry, "devices and fifos cannot be in a Windows layer");
  KILN_TRY(CheckParent(entry.name));
  if (!added_.insert(FoldCaseAscii(entry.name)).second) return EntryError(entry, "duplicate entry");

  FileBasicInfo info = BasicInfoFromEntry(entry);
  if (entry.is_dir()) info.attributes |= kAttrDirectory;
  const bool is_dir = (info.attributes & kAttrDirectory) != 0;
  if (is_dir) {
    directory_times_.push_back({entry.name, info});
    if (entry.type != EntryType::kSymlink) directories_.insert(FoldCaseAscii(entry.name));
  }
  KILN_ASSIGN(current_, fs_.CreateNew(EntryPath(root_, entry.name),
                                      is_dir ? LayerFs::Kind::kDirectory : LayerFs::Kind::kFile));
  current_name_ = entry.name;
  KILN_TRY(current_->SetBasicInfo(info));
  current_writer_ = std::make_unique<FsFileWriter>(*current_, /*backup=*/true);
  current_stream_ = std::make_unique<BackupStreamWriter>(*current_writer_);
  auto written = WriteEntryStreams(entry, content, *current_stream_);
  if (!written) return Fail(written.error().Wrap("base layer entry \"" + entry.name + "\""));
  return {};
}

core::Status BaseLayerWriter::Finish() {
  KILN_TRY(CloseCurrent());
  for (auto it = directory_times_.rbegin(); it != directory_times_.rend(); ++it) {
    KILN_ASSIGN(auto dir, fs_.Open(EntryPath(root_, it->name)));
    KILN_TRY(dir->SetBasicInfo(it->info));
    KILN_TRY(dir->Close());
  }
  return {};
}

}  // namespace kiln::layers::windows
