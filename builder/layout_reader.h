// Read-only access to an OCI image layout on disk that kiln does not own
// (--build-context NAME=oci-layout://PATH[:TAG|@DIGEST]): index.json lookup and verified blobs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/image.h"
#include "core/io.h"

namespace kiln::builder {

class LayoutReader {
 public:
  // Opens PATH[:TAG|@DIGEST]; kNotFound when PATH has no oci-layout/index.json.
  static core::Result<LayoutReader> Open(std::string_view spec);

  const std::string& dir() const { return dir_; }
  // The index.json entry the spec named (the tag, the digest, or the only entry).
  core::Result<core::Descriptor> Target() const;
  // A whole small blob (manifest, index, config), verified.
  core::Result<std::string> ReadBlob(const core::Digest& digest, size_t limit = 16 << 20) const;
  // A streaming reader of a blob (verified by the caller's store on Put).
  core::Result<std::unique_ptr<core::Reader>> OpenBlob(const core::Digest& digest) const;

 private:
  std::string dir_;
  std::string tag_;
  core::Digest digest_;
};

}  // namespace kiln::builder
