// Helpers for builder tests: write a context, run `kiln build` against a store, read back the
// image from the store (config, manifest, layers) with the layers/ and core/ APIs.
#pragma once

#include <string>
#include <vector>

#include "core/image.h"
#include "tests/support/test_env.h"

namespace kiln::testing {

// The synthetic nanoserver layout shipped in samples/bases (ltsc2019, ltsc2022, multi).
std::string SyntheticNanoserver();
// --build-context flag that points FROM mcr.microsoft.com/windows/nanoserver:<tag> at it.
std::string NanoserverContext(const std::string& tag);

struct StoredImage {
  core::Descriptor top;
  std::string top_bytes;
  core::Manifest manifest;  // of the first (or only) image
  core::ImageConfig config;
};

// Reads image `name` from the store at `root` (for an index, the entry for `os_version` or the
// first one).
StoredImage ReadStoredImage(const fs::path& root, const std::string& name,
                            const std::string& os_version = "");
// The bytes of a blob in the store at `root`.
std::string ReadStoredBlob(const fs::path& root, const core::Digest& digest);
// Number of blobs in the store.
size_t CountBlobs(const fs::path& root);

}  // namespace kiln::testing
