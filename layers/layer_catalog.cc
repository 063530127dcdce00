#include "layers/layer_catalog.h"

#include "core/cancel.h"
#include "layers/compression.h"
#include "layers/layer_rules.h"
#include "layers/tar_reader.h"
#include "layers/windows_layer.h"

namespace kiln::layers {
namespace {

// Counts the bytes a reader hands out (the uncompressed tar size).
class CountingReader : public core::Reader {
 public:
  explicit CountingReader(core::Reader& in) : in_(in) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, in_.Read(buffer, size));
    count_ += n;
    return n;
  }
  uint64_t count() const { return count_; }

 private:
  core::Reader& in_;
  uint64_t count_ = 0;
};

std::string_view StripFiles(std::string_view name) {
  return name == windows::kFiles ? std::string_view() : name.substr(windows::kFiles.size() + 1);
}

std::string JoinPath(std::string_view dir, std::string_view base) {
  return dir.empty() ? std::string(base) : std::string(dir) + "/" + std::string(base);
}

// Everything a hard link shares with its target besides the bytes (what dedupe compares).
std::string MetadataKey(const TarEntry& h) {
  std::string key = std::to_string(h.size) + "|" + std::to_string(h.mode) + "|" +
                    std::to_string(h.uid) + "|" + std::to_string(h.gid) + "|" +
                    std::to_string(h.mtime.sec) + "." + std::to_string(h.mtime.nsec) + "|" +
                    std::to_string(h.win_attributes.value_or(0)) + "|" + h.win_security_descriptor;
  for (const auto& [x, v] : h.xattrs) key += "|x" + x + "=" + v;
  for (const auto& [x, v] : h.win_eas) key += "|e" + x + "=" + v;
  return key;
}

std::array<uint8_t, 32> RawSha256(const core::Digest& d) {
  std::array<uint8_t, 32> out{};
  core::Sha256FromHex(d.hex(), out.data());  // a sha256 this catalog computed: always 64 hex
  return out;
}

// Kind, container path and name form of one entry.
void Classify(const TarEntry& e, CatalogEntry& c, LayerCatalog& out) {
  LayerFlavor flavor = out.flavor;
  std::string_view name = e.name;
  c.type = e.type;
  if (flavor == LayerFlavor::kWindows) {
    std::string_view top = name.substr(0, name.find('/'));
    if (name == windows::kFiles || name == windows::kHives) {
      c.kind = CatalogKind::kRoot;
      c.path = out.names.Add(name);
      return;
    }
    if (top == windows::kHives || top == windows::kUtilityVm) {
      c.kind = top == windows::kHives ? CatalogKind::kHive : CatalogKind::kUtilityVm;
      c.path = out.names.Add(name);
      return;
    }
    if (top == windows::kFiles) {
      name = name.substr(windows::kFiles.size() + 1);
      c.files_prefix = true;
    }
  }
  std::string_view base = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
  std::string_view dir = ParentPath(name);
  if (base == kOpaqueWhiteout) {
    c.kind = CatalogKind::kOpaque;
    c.form = NameForm::kOpaque;
    c.path = out.names.Add(dir);
    return;
  }
  if (base.starts_with(windows::kWhiteoutPrefix)) {
    c.kind = CatalogKind::kWhiteout;
    c.form = NameForm::kWhiteout;
    c.path = out.names.Add(JoinPath(dir, base.substr(windows::kWhiteoutPrefix.size())));
    return;
  }
  c.path = out.names.Add(name);
  if (flavor == LayerFlavor::kWindows && base.find(':') != std::string_view::npos) {
    c.kind = CatalogKind::kStream;
    return;
  }
  switch (e.type) {
    case EntryType::kFile: c.kind = CatalogKind::kFile; break;
    case EntryType::kDirectory:
      c.kind = CatalogKind::kDir;
      c.dir_header = static_cast<uint32_t>(out.dir_headers.size());
      out.dir_headers.push_back(e);
      out.dir_headers.back().stored_name.clear();
      break;
    case EntryType::kSymlink: c.kind = CatalogKind::kSymlink; break;
    case EntryType::kHardLink: {
      c.kind = CatalogKind::kHardLink;
      std::string target = NormalizeTarName(e.linkname);
      if (flavor == LayerFlavor::kWindows && target.starts_with("Files/"))
        target = std::string(StripFiles(target));
      c.link = out.names.Add(target);
      break;
    }
    default: c.kind = CatalogKind::kOther; break;
  }
}

}  // namespace

std::string LayerCatalog::NameOf(const CatalogEntry& e) const {
  std::string out = e.files_prefix ? std::string(windows::kFiles) + "/" : std::string();
  switch (e.form) {
    case NameForm::kPlain:
      names.AppendTo(e.path, out);
      break;
    case NameForm::kWhiteout: {
      std::string_view dir = names.dir(e.path);
      if (!dir.empty()) out.append(dir).append("/");
      out.append(windows::kWhiteoutPrefix).append(names.base(e.path));
      break;
    }
    case NameForm::kOpaque:
      if (names.size(e.path) > 0) {
        names.AppendTo(e.path, out);
        out += '/';
      }
      out.append(kOpaqueWhiteout);
      break;
  }
  return out;
}

bool LayerCatalog::metadata_only() const {
  for (const auto& e : entries) {
    if (e.kind == CatalogKind::kRoot) continue;
    if (e.kind == CatalogKind::kHive && e.size() == 0) continue;
    return false;
  }
  return true;
}

std::string PathKey(std::string_view path, LayerFlavor flavor) {
  return flavor == LayerFlavor::kWindows ? windows::FoldCase(path) : std::string(path);
}

bool IsUnder(std::string_view key, std::string_view dir) {
  if (dir.empty()) return !key.empty();
  return key.size() > dir.size() && key[dir.size()] == '/' && key.starts_with(dir);
}

std::string_view ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

core::Result<LayerCatalog> ReadCatalog(core::Reader& tar, LayerFlavor flavor,
                                       const CatalogOptions& options) {
  CountingReader counted(tar);
  TarReader reader(counted);
  LayerCatalog out;
  out.flavor = flavor;
  std::string buffer(1 << 16, '\0');
  for (;;) {
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(const TarEntry* e, reader.Next());
    if (!e) break;
    CatalogEntry c;
    c.bytes = e->size;
    Classify(*e, c, out);
    out.entry_bytes += e->size;
    if (c.kind == CatalogKind::kHive) {
      out.hive_bytes += e->size;
      if (e->is_file() && e->size > 0) ++out.nonempty_hives;
    }
    if (c.kind == CatalogKind::kUtilityVm) out.utility_vm = true;
    if (c.is_content() && c.kind != CatalogKind::kDir) ++out.files;
    if (options.hash_content && e->is_file()) {
      core::Hasher hasher;
      for (;;) {
        KILN_ASSIGN(size_t n, reader.content().Read(buffer.data(), buffer.size()));
        if (n == 0) break;
        hasher.Update(buffer.data(), n);
      }
      c.hash = static_cast<uint32_t>(out.hashes.size());
      out.hashes.push_back({RawSha256(hasher.Finish()), RawSha256(core::Digest::Sha256Of(MetadataKey(*e)))});
    }
    out.entries.push_back(std::move(c));
  }
  // Whatever follows the end marker (padding to a record size) is part of the blob's tar.
  for (;;) {
    KILN_ASSIGN(size_t n, counted.Read(buffer.data(), buffer.size()));
    if (n == 0) break;
  }
  out.tar_size = counted.count();
  return out;
}

core::Result<LayerCatalog> ReadCatalogBlob(core::Reader& blob, LayerFlavor flavor,
                                           const CatalogOptions& options) {
  KILN_ASSIGN(auto tar, NewDecompressor(blob, DecompressOptions{options.max_bytes}));
  return ReadCatalog(*tar, flavor, options);
}

}  // namespace kiln::layers
