// Where the bytes of a blob to push come from: anything that can (re)open the blob at an offset,
// so an interrupted upload resumes from the offset the registry reports. builder/ adapts the
// local store; RemoteBlobSource (remote_blob_source.h) streams from another registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/io.h"

namespace kiln::registry {

class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // A reader of the blob's bytes from `offset` to its end. May be called several times.
  virtual core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) = 0;
  // Where the bytes come from, for messages about them ("the local store (PATH)").
  virtual std::string Describe() const { return "the blob source"; }
};

}  // namespace kiln::registry
