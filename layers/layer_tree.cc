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
bool PathLess(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  // Only the first differing byte decides (sorted names share long prefixes).
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size();
  unsigned ca = a[i] == '/' ? 0 : static_cast<unsigned char>(a[i]) + 1;
  unsigned cb = b[i] == '/' ? 0 : static_cast<unsigned char>(b[i]) + 1;
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

void LayerTree::Node::SetMeta(const EntryMeta& m) {
  meta = IsDefault(m) ? nullptr : std::make_unique<EntryMeta>(m);
}

LayerTree::Node* LayerTree::Find(std::string_view name) {
  auto it = index_.find(Key(name));
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

bool LayerTree::Contains(std::string_view dest) const { return index_.count(Key(dest)) > 0; }

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
      n->has_children = true;
      continue;
    }
    Node n;
    n.type = EntryType::kDirectory;
    n.name = parent;
    n.implicit = true;
    n.has_children = true;
    index_[Key(parent)] = nodes_.size();
    nodes_.push_back(std::move(n));
  }
  return {};
}

core::Result<LayerTree::Node*> LayerTree::Upsert(const std::string& name, EntryType type) {
  KILN_TRY(EnsureParents(name));
  Node* n = Find(name);
  if (!n) {
    index_[Key(name)] = nodes_.size();
    nodes_.emplace_back();
    n = &nodes_.back();
  } else if (n->is_dir() && type == EntryType::kDirectory) {
    // The same directory again: keep it; with Windows spellings the smallest wins so the
    // result does not depend on the order of adding.
    if (name < n->name) n->name = name;
    n->implicit = false;
    return n;
  } else if (n->name != name) {
    return Bad("\"" + name + "\" collides with \"" + n->name +
               "\" (Windows names are case-insensitive)");
  } else if (n->has_children) {
    return Bad("cannot replace directory \"" + name + "\", which has entries, with a non-directory");
  } else {
    *n = Node{};
  }
  n->type = type;
  n->name = name;
  return n;
}

core::Status LayerTree::AddFile(std::string_view dest, std::string host_path,
                                const EntryMeta& meta, const std::optional<HostFileInfo>& info) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kFile));
  n->host_path = std::move(host_path);
  n->info = info;
  n->SetMeta(meta);
  return {};
}

core::Status LayerTree::AddData(std::string_view dest, std::string data, const EntryMeta& meta) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kFile));
  n->extra = std::make_unique<Extra>();
  n->extra->data = std::move(data);
  n->SetMeta(meta);
  return {};
}

core::Status LayerTree::AddDirectory(std::string_view dest, const EntryMeta& meta) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kDirectory));
  n->SetMeta(meta);
  return {};
}

core::Status LayerTree::AddSymlink(std::string_view dest, std::string target,
                                   const EntryMeta& meta, bool directory) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kSymlink));
  n->linkname = std::move(target);
  EntryMeta m = meta;
  if (flavor_ == LayerFlavor::kWindows && directory && !m.windows_attributes)
    m.windows_attributes = windows::kAttrDirectory | windows::kAttrReparsePoint;
  n->SetMeta(m);
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
  Find(name)->junction = true;
  return {};
}

core::Status LayerTree::AddHardLink(std::string_view dest, std::string_view target) {
  KILN_ASSIGN(std::string name, CheckDest(dest));
  KILN_ASSIGN(std::string to, CheckDest(target));
  KILN_ASSIGN(Node * n, Upsert(name, EntryType::kHardLink));
  n->linkname = to;
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
  n->devmajor = major;
  n->devminor = minor;
  n->SetMeta(meta);
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
  if (!n->extra) n->extra = std::make_unique<Extra>();
  n->extra->streams.emplace_back(std::string(stream), std::move(data));
  std::sort(n->extra->streams.begin(), n->extra->streams.end());
  return {};
}

core::Status LayerTree::SetMetadata(std::string_view dest, const EntryMeta& meta) {
  Node* n = Find(dest);
  if (!n) return core::Fail(core::ErrorCode::kNotFound, "no entry \"" + std::string(dest) + "\"");
  EntryMeta m = n->meta ? *n->meta : EntryMeta{};
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
  n->SetMeta(m);
  n->implicit = false;
  return {};
}

std::vector<const LayerTree::Node*> LayerTree::Sorted() const {
  std::vector<const Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(&n);
  std::sort(out.begin(), out.end(),
            [](const Node* a, const Node* b) { return PathLess(a->name, b->name); });
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
