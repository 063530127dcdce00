#include "tests/builder/build_helpers.h"

#include <catch2/catch.hpp>

#include "core/media_types.h"
#include "layers/store.h"

namespace kiln::testing {

std::string SyntheticNanoserver() { return (SourceDir() / "samples/bases/nanoserver").string(); }

std::string NanoserverContext(const std::string& tag) {
  return "mcr.microsoft.com/windows/nanoserver:" + tag + "=oci-layout://" + SyntheticNanoserver() +
         ":" + tag;
}

std::string ReadStoredBlob(const fs::path& root, const core::Digest& digest) {
  return ReadFile(root / "blobs" / digest.algorithm() / digest.hex());
}

size_t CountBlobs(const fs::path& root) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(root / "blobs/sha256", ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

StoredImage ReadStoredImage(const fs::path& root, const std::string& name, const std::string& os_version) {
  auto store = layers::Store::Open(root.string());
  REQUIRE(store);
  auto top = (*store)->Resolve(name);
  INFO(name);
  REQUIRE(top);
  StoredImage out;
  out.top = *top;
  out.top_bytes = ReadStoredBlob(root, top->digest);
  core::Descriptor manifest_desc = *top;
  if (core::media::IsIndex(top->media_type)) {
    auto index = core::Index::Parse(out.top_bytes);
    REQUIRE(index);
    REQUIRE(!index->manifests.empty());
    manifest_desc = index->manifests.front();
    for (const auto& m : index->manifests)
      if (m.platform && m.platform->os_version.rfind(os_version, 0) == 0 && !os_version.empty())
        manifest_desc = m;
  }
  auto manifest = core::Manifest::Parse(ReadStoredBlob(root, manifest_desc.digest));
  REQUIRE(manifest);
  out.manifest = *manifest;
  auto config = core::ImageConfig::Parse(ReadStoredBlob(root, manifest->config.digest));
  REQUIRE(config);
  out.config = *config;
  return out;
}

}  // namespace kiln::testing
