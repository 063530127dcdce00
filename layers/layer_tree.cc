#include "layers/layer_tree.h"

#include <algorithm>

#include "layers/fs_util.h"
#include "layers/layer_rules.h"

namespace kiln::layers {
namespace {

std::unexpected<core::Error> Bad(std::string message) {
  return core::Fail(core::ErrorCode::kInvalidInput, std::move(message));
}

// Byte order per path component: '/' sorts before every other byte, so a directory's subtree
// comes right after it and before its longer-named siblings.
bool PathLess(const core::PathPool::Pieces& a, const core::PathPool::Pieces& b) {
  size_t n = std::min(a.size(), b.size());
  // Only the first differing byte decides (sorted names share long prefixes).
  size_t i = 0;
  while (i < n && a.at(i) == b.at(i)) ++i;
  if (i == n) return a.size() < b.size();
  unsigned ca = a.at(i) == '/' ? 0 : a.at(i) + 1u;
  unsigned cb = b.at(i) == '/' ? 0 : b.at(i) + 1u;
  return ca < cb;
}


}  // namespace

std::string LayerTree::Key(std::string_view name) const {
  return flavor_ == LayerFlavor::kWindows ? windows::FoldCase(name) : std::string(name);
}

namespace {
bool IsDefault(const EntryMeta& m) {
  return !m.mode && !m.uid && !m.gid && !m.mtime && !m.windows_owner && !m.windows_attributes &&
         m.xattrs.empty();
}
}  // namespace

void LayerTree::SetMeta(Node& n, const EntryMeta& m) {
  if (IsDefault(m)) {
    n.meta = 0;
    return;
  }
  // Entries of one COPY share their overrides: reuse the last one when equal.
  if (metas_.empty() || !(*metas_.back() == m)) metas_.push_back(std::make_unique<EntryMeta>(m));
  n.meta = static_cast<uint32_t>(metas_.size());
}

LayerTree::Extra& LayerTree::ExtraOf(Node& n) {
  if (!n.extra) {
    extras_.push_back(std::make_unique<Extra>());
    n.extra = static_cast<uint32_t>(extras_.size());
  }
  return *extras_[n.extra - 1];
}

uint32_t LayerTree::FindId(std::string_view name) const {
  std::string key = Key(name);
  return index_.Find(core::IdIndex::Hash(key), [&](uint32_t id) {
    const Node& n = nodes_[id];
    return flavor_ == LayerFlavor::kWindows ? Key(NameOf(n)) == key : names_.Equals(n.name, key);
  });
}

LayerTree::Node* LayerTree::Find(std::string_view name) {
  uint32_t id = FindId(name);
  return id == core::IdIndex::kNone ? nullptr : &nodes_[id];
}

bool LayerTree::Contains(std::string_view dest) const {
  return FindId(dest) != core::IdIndex::kNone;
}

LayerTree::Node& LayerTree::NewNode(std::string_view name, uint32_t hash) {
  uint32_t id = static_cast<uint32_t>(nodes_.size());
  Node& n = nodes_.push_back(Node{});
  n.name = names_.Add(name);
  n.hash = hash;
  index_.Insert(hash, id);
  return n;
}

void LayerTree::SetHost(Node& n, std::string_view host_path) {
  n.flags |= kHasHost;
  n.host_dir = 0;
  auto slash = host_path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) {
    n.host_base = names_.strings().Add(host_path);
    return;
  }
  // The directory, interned: a COPY's files share a few hundred directories.
  std::string_view dir = host_path.substr(0, slash), base = host_path.substr(slash + 1);
  uint32_t hash = core::IdIndex::Hash(dir);
  uint32_t id = host_dir_index_.Find(
      hash, [&](uint32_t i) { return names_.strings().Get(host_dirs_[i]) == dir; });
  if (id == core::IdIndex::kNone) {
    id = static_cast<uint32_t>(host_dirs_.size());
    host_dirs_.push_back(names_.strings().Add(dir));
    host_dir_index_.Insert(hash, id);
  }
  n.host_dir = id + 1;
  // The base name is usually the entry name's last component: share its bytes.
  Str tail = core::StringArena::Tail(
      n.name.base, static_cast<uint32_t>(std::min(base.size(), size_t{n.name.base.len})));
  bool shared = tail.len == base.size() && names_.strings().Get(tail) == base;
  n.host_base = shared ? tail : names_.strings().Add(base);
}

std::string LayerTree::HostPath(const Node& n) const {
  std::string_view base = names_.strings().Get(n.host_base);
  if (!n.host_dir) return std::string(base);
  std::string_view dir = names_.strings().Get(host_dirs_[n.host_dir - 1]);
  std::string out;
  out.reserve(dir.size() + 1 + base.size());
  out.append(dir).append("/").append(base);
  return out;
}

core::Result<std::string> LayerTree::CheckDest(std::string_view dest) const {
  std::string name(dest);
  while (name.size() > 1 && name.ends_with('/')) name.pop_back();
  if (flavor_ == LayerFlavor::kLinux) {
    if (const char* why = UnsafeLinuxName(name))
      return Bad("invalid layer path \"" + name + "\": " + why);
    return name;
  }
  KILN_TRY(windows::ValidateName(name, /*allow_stream=*/false));
  if (!name.starts_with("Files/") && !name.starts_with("Hives/"))
    return Bad("Windows layer path \"" + name + "\" is not under Files/ or Hives/");
  return name;
}

core::Status LayerTree::EnsureParents(const std::string& name) {
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    std::string parent = name.substr(0, slash);
    bool root = flavor_ == LayerFlavor::kWindows && parent.find('/') == std::string::npos;
    if (root) continue;  // Files and Hives come from the LayerWriter
    if (Node* n = Find(parent)) {
      if (!n->is_dir())
        return Bad("cannot add \"" + name + "\": \"" + parent + "\" is not a directory");
      n->flags |= kHasChildren;
      continue;
    }
    Node& n = NewNode(parent, core::IdIndex::Hash(Key(parent)));
    n.type = EntryType::kDirectory;
    n.flags = kImplicit | kHasChildren;
  }
  return {};
}

core::Result<LayerTree::Node*> LayerTree::Upsert(const std::string& name, EntryType type) {
  KILN_TRY(EnsureParents(name));
  Node* n = Find(name);
  if (!n) {
    n = &NewNode(name, core::IdIndex::Hash(Key(name)));
  } else if (n->is_dir() && type == EntryType::kDirectory) {
    // The same directory again: keep it; with Windows spellings the smallest wins so the
    // result does not depend on the order of adding.
    if (name < NameOf(*n)) n->name = names_.Add(name);
    n->flags &= ~kImplicit;
    return n;
  } else if (!names_.Equals(n->name, name)) {
    return Bad("\"" + name + "\" collides with \"" + NameOf(*n) +
               "\" (Windows names are case-insensitive)");
  } else if (n->has(kHasChildren)) {
    return Bad("cannot replace directory \"" + name + "\", which has entries, with a non-directory");
  } else {
    Node fresh;
    fresh.name = n->name;
    fresh.hash = n->hash;
    *n = fresh;
  }
  n->type = type;
  return n;
}

core::Status LayerTree::AddFile(std::string_view dest, std::string_view host_path,
                                const EntryMeta& meta, const std::optional<HostFileInfo>& info,
                                uint32_t tag) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kFile));
  if (!host_path.empty()) SetHost(*n, host_path);
  n->tag = tag;
  if (info) {
    n->flags |= kHasInfo;
    n->mode = info->mode;
    n->mtime_sec = info->mtime.sec;
    n->mtime_nsec = info->mtime.nsec;
    n->dev = static_cast<uint64_t>(info->dev);
    n->ino = static_cast<uint64_t>(info->ino);
    n->nlink = static_cast<uint32_t>(info->nlink);
    if (info->size) {
      n->flags |= kHasSize;
      n->size = *info->size;
    }
  }
  SetMeta(*n, meta);
  return {};
}

core::Status LayerTree::AddData(std::string_view dest, std::string data, const EntryMeta& meta) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kFile));
  ExtraOf(*n).data = std::move(data);
  SetMeta(*n, meta);
  return {};
}

core::Status LayerTree::AddDirectory(std::string_view dest, const EntryMeta& meta) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kDirectory));
  SetMeta(*n, meta);
  return {};
}

core::Status LayerTree::AddSymlink(std::string_view dest, std::string target,
                                   const EntryMeta& meta, bool directory) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kSymlink));
  n->link = names_.strings().Add(target);
  EntryMeta m = meta;
  if (flavor_ == LayerFlavor::kWindows && directory && !m.windows_attributes)
    m.windows_attributes = windows::kAttrDirectory | windows::kAttrReparsePoint;
  SetMeta(*n, m);
  return {};
}

core::Status LayerTree::AddJunction(std::string_view dest, std::string_view target,
                                    const EntryMeta& meta) {
  if (flavor_ != LayerFlavor::kWindows)
    return Bad("junction \"" + std::string(dest) + "\" in a Linux layer");
  // Junctions are absolute: the target must be a path of C:\.
  auto in_files = windows::LayerNameFromContainerPath(target);
  if (!in_files)
    return Bad("junction \"" + std::string(dest) + "\": " + in_files.error().message);
  std::string windows_target = "C:" + in_files->substr(windows::kFiles.size());
  if (windows_target == "C:") windows_target = "C:/";
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_TRY(AddSymlink(name, std::move(windows_target), meta, /*directory=*/true));
  Find(name)->flags |= kJunction;
  return {};
}

core::Status LayerTree::AddHardLink(std::string_view dest, std::string_view target) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(std::string to, CheckDest(target));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kHardLink));
  n->link = names_.strings().Add(to);
  return {};
}

core::Status LayerTree::AddWhiteout(std::string_view dest) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  if (flavor_ == LayerFlavor::kWindows && !name.starts_with("Files/"))
    return Bad("whiteout \"" + name + "\" is not under Files/");
  auto slash = name.rfind('/');
  std::string wh = slash == std::string::npos
                       ? ".wh." + name
                       : name.substr(0, slash + 1) + ".wh." + name.substr(slash + 1);
  KILN_TRY(Upsert(wh, EntryType::kFile));
  return {};
}

core::Status LayerTree::AddOpaque(std::string_view dir) {
  if (flavor_ == LayerFlavor::kWindows)
    return core::Fail(core::ErrorCode::kUnsupported, "Windows layers have no opaque directories");
  KILN_ASSIGN(std::string name, CheckDest(dir));
  if (!Find(name)) KILN_TRY(AddDirectory(name));
  KILN_TRY(Upsert(name + "/" + std::string(kOpaqueWhiteout), EntryType::kFile));
  return {};
}

core::Status LayerTree::AddSpecial(std::string_view dest, EntryType type, uint32_t major,
                                   uint32_t minor, const EntryMeta& meta) {
  if (flavor_ == LayerFlavor::kWindows)
    return core::Fail(core::ErrorCode::kUnsupported,
                      "devices and FIFOs cannot be in a Windows layer: " + std::string(dest));
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, type));
  Extra& x = ExtraOf(*n);
  x.devmajor = major;
  x.devminor = minor;
  SetMeta(*n, meta);
  return {};
}

core::Status LayerTree::AddStream(std::string_view dest, std::string_view stream,
                                  std::string data) {
  if (flavor_ != LayerFlavor::kWindows)
    return core::Fail(core::ErrorCode::kUnsupported, "alternate data streams are Windows-only");
  Node* n = Find(dest);
  if (!n || !n->is_file())
    return core::Fail(core::ErrorCode::kNotFound, "no file \"" + std::string(dest) + "\" for stream");
  KILN_TRY(windows::ValidateName(std::string(dest) + ":" + std::string(stream), true));
  Extra& x = ExtraOf(*n);
  x.streams.emplace_back(std::string(stream), std::move(data));
  std::sort(x.streams.begin(), x.streams.end());
  return {};
}

core::Status LayerTree::SetMetadata(std::string_view dest, const EntryMeta& meta) {
  Node* n = Find(dest);
  if (!n) return core::Fail(core::ErrorCode::kNotFound, "no entry \"" + std::string(dest) + "\"");
  EntryMeta m = n->meta ? *metas_[n->meta - 1] : EntryMeta{};
  auto merge = [](auto& dst, const auto& src) {
    if (src) dst = src;
  };
  merge(m.mode, meta.mode);
  merge(m.uid, meta.uid);
  merge(m.gid, meta.gid);
  merge(m.mtime, meta.mtime);
  merge(m.windows_owner, meta.windows_owner);
  merge(m.windows_attributes, meta.windows_attributes);
  for (const auto& [k, v] : meta.xattrs) m.xattrs[k] = v;
  SetMeta(*n, m);
  n->flags &= ~kImplicit;
  return {};
}

std::vector<uint32_t> LayerTree::Sorted() const {
  std::vector<uint32_t> out(nodes_.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint32_t>(i);
  std::sort(out.begin(), out.end(), [this](uint32_t a, uint32_t b) {
    const core::PathPool::Path& x = nodes_[a].name;
    const core::PathPool::Path& y = nodes_[b].name;
    // Siblings share the directory: base names hold no '/', so plain byte order.
    if (x.dir == y.dir) return names_.base(x) < names_.base(y);
    return PathLess(names_.PiecesOf(x), names_.PiecesOf(y));
  });
  return out;
}

core::Result<LayerResult> CommitLayer(const LayerTree& tree, const LayerOptions& options,
                                      BlobStore& store, const LayerTree::FileDigestFn& on_file,
                                      core::ProgressMeter* meter) {
  if (options.flavor != tree.flavor())
    return core::Fail(core::ErrorCode::kInternal, "layer tree and writer flavours differ");
  KILN_ASSIGN(auto writer, LayerWriter::Create(options, store));
  writer->SetMeter(meter);
  KILN_TRY(tree.WriteTo(*writer, on_file));
  return writer->Finish();
}

}  // namespace kiln::layers
