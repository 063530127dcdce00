// Synthetic images for registry tests: layers of pseudo-random bytes (in memory, or in files
// when large), an OCI config and manifest, and Windows indexes with several os.version entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/platform.h"

namespace kiln::testing {

struct TestBlob {
  core::Descriptor desc;
  std::string bytes;          // empty when the blob lives in `file`
  std::filesystem::path file;
};

struct TestImage {
  TestBlob config;
  std::vector<TestBlob> layers;
  std::string manifest;  // OCI manifest bytes
  core::Digest manifest_digest;
  core::Descriptor descriptor() const;  // of the manifest
};

// Deterministic pseudo-random bytes.
std::string RandomBytes(uint64_t size, uint32_t seed);
// Writes `size` pseudo-random bytes to `path`; returns their sha256.
core::Digest WriteRandomFile(const std::filesystem::path& path, uint64_t size, uint32_t seed);

// An image whose layers have the given sizes; layers above 16 MiB are written under `dir`.
TestImage MakeTestImage(const std::vector<uint64_t>& layer_sizes, uint32_t seed,
                        const std::filesystem::path& dir,
                        const core::Platform& platform = core::Platform::HostLinux());

// An OCI index over `images` (their platforms from the configs, os.version included).
std::string MakeIndex(const std::vector<TestImage>& images,
                      const std::vector<core::Platform>& platforms);

}  // namespace kiln::testing
