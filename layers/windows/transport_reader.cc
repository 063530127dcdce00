#include "layers/windows/transport_reader.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/cancel.h"
#include "layers/windows/backup_file_decoder.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/tombstones.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

using FileKey = std::tuple<uint64_t, uint64_t, uint64_t>;

std::string ParentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

std::string BaseOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// One walk over a transport folder.
class Walk {
 public:
  Walk(LayerFs& fs, const std::filesystem::path& root, DiffSink& sink)
      : fs_(fs), root_(root), sink_(sink) {}

  core::Status Run() {
    KILN_TRY(LoadTombstones());
    KILN_TRY(LoadSystemDeltaTimes());
    KILN_TRY(Directory(root_, ""));
    // Deletions in directories the export did not list still have to reach the layer.
    for (auto& [dir, names] : tombstones_)
      for (const auto& name : names) KILN_TRY(EmitWhiteout(name));
    return {};
  }

 private:
  core::Status LoadTombstones() {
    auto path = root_ / "tombstones.txt";
    KILN_ASSIGN(auto attrs, fs_.Attributes(path));
    if (!attrs) return {};
    KILN_ASSIGN(auto file, fs_.Open(path));
    std::string text(static_cast<size_t>(std::min<uint64_t>(file->Size(), 64 << 20)), '\0');
    KILN_ASSIGN(size_t n, file->ReadAt(0, text.data(), text.size()));
    text.resize(n);
    KILN_ASSIGN(auto names, ParseTombstones(text));
    for (auto& name : names) {
      KILN_TRY(CheckEntryName(name));
      tombstones_[ParentOf(name)].push_back(std::move(name));
    }
    return {};
  }

  // hcsshim stamps the Files and Hives directory entries with Hives\System_Delta's times: the
  // directories' own times change with every import.
  core::Status LoadSystemDeltaTimes() {
    auto path = EntryPath(root_, "Hives/System_Delta");
    KILN_ASSIGN(auto attrs, fs_.Attributes(path));
    if (!attrs) return {};
    KILN_ASSIGN(auto file, fs_.Open(path));
    KILN_ASSIGN(system_delta_, file->GetBasicInfo());
    return {};
  }

  core::Status Directory(const std::filesystem::path& dir, const std::string& prefix) {
    KILN_ASSIGN(auto entries, fs_.List(dir));
    std::sort(entries.begin(), entries.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    for (const auto& e : entries) {
      KILN_TRY(core::CheckCancelled());
      std::string name = prefix.empty() ? e.name : prefix + "/" + e.name;
      const bool is_dir = (e.attributes & kAttrDirectory) != 0;
      if (prefix.empty() && e.name == "tombstones.txt") continue;
      if (e.name.ends_with(kDirMetadataSuffix)) continue;
      if (is_dir && FoldCaseAscii(name) == FoldCaseAscii("Files/$Recycle.Bin")) continue;
      KILN_TRY(Entry(name, is_dir));
      if (!is_dir || (e.attributes & kAttrReparsePoint)) continue;
      if (auto it = tombstones_.find(name); it != tombstones_.end()) {
        for (const auto& t : it->second) KILN_TRY(EmitWhiteout(t));
        tombstones_.erase(it);
      }
      KILN_TRY(Directory(dir / PathFromUtf8(e.name), name));
    }
    return {};
  }

  core::Status EmitWhiteout(const std::string& deleted) {
    TarEntry w;
    w.type = EntryType::kFile;
    std::string parent = ParentOf(deleted);
    w.name = (parent.empty() ? "" : parent + "/") + std::string(kWhiteoutPrefix) + BaseOf(deleted);
    w.mode = 0;
    return sink_.Add(w, nullptr);
  }

  // Emits a hard link when `file` is another name of a file already written; records it
  // otherwise.
  core::Result<bool> EmittedAsLink(FsFile& file, TarEntry& entry) {
    KILN_ASSIGN(FileLinkInfo link, file.GetLinkInfo());
    if (link.links <= 1 || entry.is_dir()) return false;
    FileKey key{link.volume, link.id_high, link.id_low};
    auto [it, inserted] = seen_.try_emplace(key, entry.name);
    if (inserted) return false;
    entry.type = EntryType::kHardLink;
    entry.linkname = it->second;
    entry.mode = 0644;
    entry.size = 0;
    KILN_TRY(sink_.Add(entry, nullptr));
    return true;
  }

  core::Status Entry(const std::string& name, bool is_dir) {
    KILN_TRY(CheckEntryName(name));
    const bool in_files = IsUnder(name, kFiles);
    auto path = EntryPath(root_, name);
    if (is_dir && in_files) path += PathFromUtf8(kDirMetadataSuffix);
    auto opened = fs_.Open(path);
    if (!opened) return Fail(opened.error().Wrap("reading the exported layer"));
    FsFile& file = **opened;
    KILN_ASSIGN(FileBasicInfo info, file.GetBasicInfo());
    TarEntry entry;
    entry.name = name;
    entry.mode = 0;
    if (!in_files) return OtherEntry(file, std::move(entry), info, is_dir);
    uint8_t word[4];
    KILN_ASSIGN(size_t n, file.ReadAt(0, word, sizeof word));
    if (n != sizeof word)
      return Fail(ErrorCode::kInvalidInput, "exported file \"" + name + "\" has no attributes");
    info.attributes = word[0] | (word[1] << 8) | (word[2] << 16) | (uint32_t{word[3]} << 24);
    ApplyBasicInfo(info, entry);
    entry.type = (info.attributes & kAttrDirectory) ? EntryType::kDirectory : EntryType::kFile;
    KILN_ASSIGN(bool linked, EmittedAsLink(file, entry));
    if (linked) return {};
    KILN_ASSIGN(auto decoded, DecodeBackupFile(file, 4, std::move(entry)));
    return EmitBackupFile(file, decoded, sink_);
  }

  // Files and Hives themselves, Hives/* and anything else outside Files/: the file's own data;
  // creation and access times reset to the write time (hcsshim).
  core::Status OtherEntry(FsFile& file, TarEntry entry, FileBasicInfo info, bool is_dir) {
    if ((entry.name == kFiles || entry.name == kHives) && system_delta_) {
      uint32_t attributes = info.attributes;
      info = *system_delta_;
      info.attributes = attributes;
    }
    info.creation_time = info.last_access_time = info.last_write_time;
    ApplyBasicInfo(info, entry);
    entry.type = is_dir ? EntryType::kDirectory : EntryType::kFile;
    KILN_ASSIGN(bool linked, EmittedAsLink(file, entry));
    if (linked) return {};
    entry.size = is_dir ? 0 : file.Size();
    auto content = RangeReader(file, 0, entry.size);
    return sink_.Add(entry, entry.size > 0 ? content.get() : nullptr);
  }

  LayerFs& fs_;
  const std::filesystem::path& root_;
  DiffSink& sink_;
  std::map<std::string, std::vector<std::string>> tombstones_;  // parent dir -> deleted names
  std::optional<FileBasicInfo> system_delta_;
  std::map<FileKey, std::string> seen_;
};

}  // namespace

core::Status TransportReader::Run(DiffSink& sink) {
  Walk walk(fs_, root_, sink);
  return walk.Run();
}

}  // namespace kiln::layers::windows
