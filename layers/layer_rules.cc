#include "layers/layer_rules.h"

#include "layers/windows_layer.h"

namespace kiln::layers {
namespace {

using Sev = Violation::Severity;

std::string_view BaseName(std::string_view name) {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view Parent(std::string_view name) {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : name.substr(0, slash);
}

std::string_view TopLevel(std::string_view name) { return name.substr(0, name.find('/')); }

bool UnderFiles(std::string_view name) {
  return name.starts_with("Files/") || name.starts_with("UtilityVM/Files/");
}

}  // namespace

const char* UnsafeLinuxName(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.front() == '/') return "absolute name";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty()) return "empty path component";
    if (part == "..") return "'..' component";
    if (part == ".") return "'.' component";
    start = end + 1;
  }
  return nullptr;
}

bool IsWhiteoutName(std::string_view name) {
  return BaseName(name).starts_with(windows::kWhiteoutPrefix);
}

std::string Violation::ToString() const {
  std::string where = index ? "entry " + std::to_string(index) + " \"" + name + "\": " : "layer: ";
  return where + "[" + rule + "] " + message +
         (severity == Severity::kWarning ? " (recommended)" : "");
}

LayerRules::LayerRules(LayerFlavor flavor, bool base_layer) : flavor_(flavor), base_(base_layer) {}

std::string LayerRules::Key(std::string_view name) const {
  return flavor_ == LayerFlavor::kWindows ? windows::FoldCase(name) : std::string(name);
}

void LayerRules::Add(std::vector<Violation>& out, const TarEntry& e, Sev s, const char* rule,
                     std::string message) {
  out.push_back({s, index_, e.stored_name.empty() ? e.name : e.stored_name, rule,
                 std::move(message)});
}

uint32_t LayerRules::FindSeen(std::string_view key) const {
  return seen_index_.Find(core::IdIndex::Hash(key),
                          [&](uint32_t id) { return keys_.Equals(seen_[id].key, key); });
}

bool LayerRules::Remember(std::string_view key, EntryType type) {
  uint32_t hash = core::IdIndex::Hash(key);
  if (seen_index_.Find(hash, [&](uint32_t id) { return keys_.Equals(seen_[id].key, key); }) !=
      core::IdIndex::kNone)
    return false;
  seen_index_.Insert(hash, static_cast<uint32_t>(seen_.size()));
  seen_.push_back({keys_.Add(key), type});
  return true;
}

bool LayerRules::Is(std::string_view key, EntryType type) const {
  uint32_t id = FindSeen(key);
  return id != core::IdIndex::kNone && seen_[id].type == type;
}

void LayerRules::Check(const TarEntry& e, std::vector<Violation>& out) {
  ++index_;
  if (flavor_ == LayerFlavor::kWindows) {
    CheckWindows(e, out);
  } else {
    CheckLinux(e, out);
  }
}

void LayerRules::CheckLinux(const TarEntry& e, std::vector<Violation>& out) {
  if (const char* why = UnsafeLinuxName(e.name)) {
    Add(out, e, Sev::kError, "unsafe-name", why);
    return;
  }
  if (!Remember(e.name, e.type))
    Add(out, e, Sev::kError, "duplicate", "a second entry with this name");
  if (e.type == EntryType::kHardLink && !Is(e.linkname, EntryType::kFile))
    Add(out, e, Sev::kError, "hardlink-order",
        "hard link to \"" + e.linkname + "\", which is not an earlier file of this layer");
}

void LayerRules::CheckWindows(const TarEntry& e, std::vector<Violation>& out) {
  if (e.stored_name.ends_with('/'))
    Add(out, e, Sev::kError, "1.2 trailing-slash", "names must not end in '/'");
  bool stream = e.name.find(':') != std::string::npos;
  if (auto ok = windows::ValidateName(e.name, /*allow_stream=*/true); !ok) {
    Add(out, e, Sev::kError, "1.2 unsafe-name", ok.error().message);
    return;
  }
  std::string key = Key(e.name);
  std::string_view top = TopLevel(e.name);
  bool whiteout = IsWhiteoutName(e.name);
  if (top != windows::kFiles && top != windows::kHives && top != windows::kUtilityVm)
    Add(out, e, Sev::kError, "1.7.5 path-prefix", "only Files/, Hives/ and UtilityVM/Files/ belong in a layer");
  else if (top == windows::kUtilityVm && e.name != top && e.name != "UtilityVM/Files" &&
           !e.name.starts_with("UtilityVM/Files/"))
    Add(out, e, Sev::kError, "1.7.5 path-prefix", "under UtilityVM/ only Files/ belongs in a layer");
  if (e.name == top && !e.is_dir())
    Add(out, e, Sev::kError, "1.7.1 parent-before-child", "a top-level entry must be a directory");
  if (stream) {
    std::string file = e.name.substr(0, e.name.find(':'));
    if (!e.is_file() || Key(file) != last_file_)
      Add(out, e, Sev::kError, "1.7.3 ads-order",
          "an alternate data stream must be a file entry right after \"" + file + "\"");
  } else if (std::string_view parent = Parent(e.name); !parent.empty() && !Is(Key(parent), EntryType::kDirectory)) {
    Add(out, e, Sev::kError, "1.7.1 parent-before-child",
        "parent directory \"" + std::string(parent) + "\" has no entry before this one");
  }
  if (!Remember(key, e.type))
    Add(out, e, Sev::kError, "1.7.2 duplicate",
        "a second entry with this name (NTFS names are case-insensitive)");
  if (whiteout) {
    if (!UnderFiles(e.name))
      Add(out, e, Sev::kError, "1.7.5 whiteout-location", "whiteouts belong only under Files/");
    if (base_) Add(out, e, Sev::kError, "1.7.5 whiteout-location", "a base layer cannot have whiteouts");
  }
  switch (e.type) {
    case EntryType::kDirectory:
      if (e.win_attributes && !(*e.win_attributes & windows::kAttrDirectory))
        Add(out, e, Sev::kError, "1.5 directory-attribute", "MSWINDOWS.fileattr lacks FILE_ATTRIBUTE_DIRECTORY (16)");
      break;
    case EntryType::kHardLink: {
      bool known = Is(Key(e.linkname), EntryType::kFile);
      if (!UnderFiles(e.name) || !UnderFiles(e.linkname))
        Add(out, e, Sev::kError, "1.5 hardlink", "hard links and their targets must be under Files/");
      else if (!known && base_)
        Add(out, e, Sev::kError, "1.7.3 hardlink-order",
            "hard link to \"" + e.linkname + "\", which is not an earlier file of this layer");
      break;
    }
    case EntryType::kSymlink:
      if (e.linkname.find('/') != std::string::npos)
        Add(out, e, Sev::kWarning, "6.3 symlink-target", "symlink targets should use '\\'");
      if (e.win_mountpoint && !(e.win_attributes && (*e.win_attributes & windows::kAttrDirectory)))
        Add(out, e, Sev::kError, "1.5 junction",
            "a junction (MSWINDOWS.mountpoint) lacks FILE_ATTRIBUTE_DIRECTORY (16)");
      break;
    case EntryType::kFile:
      break;
    default:
      Add(out, e, Sev::kError, "1.5 entry-type", "devices and FIFOs cannot be in a Windows layer");
  }
  if (e.is_file() && !stream) {
    last_file_ = key;
  } else if (!stream) {
    last_file_.clear();
  }
  if (e.name == windows::kFiles) saw_files_ = true;
  if (e.name == windows::kHives) saw_hives_ = true;
  if (!e.win_security_descriptor.empty() &&
      !windows::IsSelfRelativeSecurityDescriptor(e.win_security_descriptor))
    Add(out, e, Sev::kError, "1.6 security-descriptor",
        "MSWINDOWS.rawsd is not a self-relative security descriptor");
  if (whiteout || stream) return;  // hcs writes these without Windows records
  if (!e.win_attributes) Add(out, e, Sev::kWarning, "6.2 records", "no MSWINDOWS.fileattr");
  if (e.win_security_descriptor.empty() && e.type != EntryType::kHardLink &&
      !windows::WrittenWithoutDescriptor(e.name) && !e.pax_extra.count("MSWINDOWS.sd"))
    Add(out, e, Sev::kWarning, "6.2 records", "no MSWINDOWS.rawsd");
  if (!e.creation_time || !e.atime || !e.ctime)
    Add(out, e, Sev::kWarning, "6.2 records", "missing LIBARCHIVE.creationtime, atime or ctime");
}

void LayerRules::Finish(std::vector<Violation>& out) {
  if (flavor_ != LayerFlavor::kWindows) return;
  auto whole = [&](Sev s, const char* rule, std::string msg) {
    out.push_back({s, 0, "", rule, std::move(msg)});
  };
  if (!saw_files_) whole(Sev::kError, "1.9 files-entry", "no \"Files\" directory entry");
  if (!saw_hives_ && !base_)
    whole(Sev::kWarning, "1.9 hives-entry", "no \"Hives\" directory entry (non-base layers should have one)");
}

}  // namespace kiln::layers
