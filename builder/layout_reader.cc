#include "builder/layout_reader.h"

#include <algorithm>

#include "core/sys_fs.h"
#include "layers/fs_util.h"

namespace kiln::builder {

using core::ErrorCode;

namespace {

// The OCI distribution spec's tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool IsTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

core::Result<LayoutReader> LayoutReader::Open(std::string_view spec) {
  LayoutReader r;
  std::string s(spec);
  if (auto at = s.rfind('@'); at != std::string::npos) {
    KILN_ASSIGN(r.digest_, core::Digest::Parse(s.substr(at + 1)));
    s = s.substr(0, at);
  } else if (auto colon = s.rfind(':'); colon != std::string::npos && IsTag(std::string_view(s).substr(colon + 1))) {
    // Only a valid tag after the last ':' is one: Z:\layouts\base (a Windows drive) and
    // dir/a:b\c are directories.
    r.tag_ = s.substr(colon + 1);
    s = s.substr(0, colon);
  }
  r.dir_ = s;
  if (!layers::ReadFileToString(s + "/oci-layout", 4096))
    return core::Fail(ErrorCode::kNotFound, "\"" + s + "\" is not an OCI image layout (no oci-layout file)");
  return r;
}

core::Result<core::Descriptor> LayoutReader::Target() const {
  KILN_ASSIGN(std::string text, layers::ReadFileToString(dir_ + "/index.json", 16 << 20));
  KILN_ASSIGN(core::Index index, core::Index::Parse(text));
  const core::Descriptor* only = nullptr;
  for (const auto& m : index.manifests) {
    if (!digest_.empty() && m.digest == digest_) return m;
    auto name = m.annotations.find("org.opencontainers.image.ref.name");
    if (!tag_.empty() && name != m.annotations.end()) {
      const std::string& n = name->second;
      if (n == tag_ || n.ends_with(":" + tag_)) return m;
    }
    only = &m;
  }
  if (tag_.empty() && digest_.empty() && index.manifests.size() == 1) return *only;
  std::string what = !digest_.empty() ? "digest " + digest_.ToString()
                     : !tag_.empty()  ? "tag \"" + tag_ + "\""
                                      : "a single image (it has " +
                                            std::to_string(index.manifests.size()) + "; add :TAG)";
  return core::Fail(ErrorCode::kNotFound, "OCI layout " + dir_ + " has no " + what);
}

core::Result<std::string> LayoutReader::ReadBlob(const core::Digest& digest, size_t limit) const {
  KILN_ASSIGN(std::string bytes,
              layers::ReadFileToString(dir_ + "/blobs/" + digest.algorithm() + "/" + digest.hex(), limit));
  core::Hasher h(digest.algorithm());
  h.Update(bytes);
  if (h.Finish() != digest)
    return core::Fail(ErrorCode::kConflict, "blob " + digest.ToString() + " in " + dir_ + " is corrupt");
  return bytes;
}

core::Result<std::unique_ptr<core::Reader>> LayoutReader::OpenBlob(const core::Digest& digest) const {
  std::string path = dir_ + "/blobs/" + digest.algorithm() + "/" + digest.hex();
  int fd = sys::Open(path, sys::kRead);
  if (fd < 0) return layers::ErrnoError("opening blob", path);
  return std::make_unique<layers::FdReader>(fd, path);
}

}  // namespace kiln::builder
