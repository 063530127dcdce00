// Helpers of the store tests (store_test.cc, store_posix_test.cc).
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/media_types.h"
#include "layers/store.h"
#include "tests/support/test_env.h"

namespace kiln::layers::testutil {

inline std::unique_ptr<Store> OpenStore(const testing::TempDir& dir) {
  auto s = Store::Open((dir / "store").string());
  REQUIRE(s);
  return std::move(*s);
}

inline core::Descriptor Put(Store& s, const std::string& bytes, std::string_view type = "x/y") {
  auto d = PutBlob(s, bytes, type);
  REQUIRE(d);
  return *d;
}

// A manifest referencing a config and layers, all stored.
inline core::Descriptor PutManifest(Store& s, const std::vector<std::string>& layers) {
  core::Manifest m;
  m.media_type = std::string(core::media::kOciManifest);
  m.config = Put(s, R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})",
                 core::media::kOciConfig);
  for (const auto& l : layers) m.layers.push_back(Put(s, l, core::media::kOciLayerGzip));
  return Put(s, m.Serialize(), core::media::kOciManifest);
}

inline size_t CountFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

}  // namespace kiln::layers::testutil
