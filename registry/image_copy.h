// Registry-to-registry copy of an image or a whole index, streamed (no disk): blobs the target
// lacks are mounted when both repositories are on one registry, else piped from a GET into the
// upload. Manifests are copied byte for byte, so every digest stays the same.
#pragma once

#include <optional>

#include "core/platform.h"
#include "core/progress.h"
#include "core/reference.h"
#include "registry/client.h"

namespace kiln::registry {

struct CopyOptions {
  // Copy only the image of this platform out of an index (its manifest becomes the target);
  // nullopt copies everything the reference names.
  std::optional<core::Platform> platform;
};

struct CopyResult {
  core::Digest digest;      // of the manifest or index now at the target
  std::string media_type;
  int blobs_present = 0, blobs_mounted = 0, blobs_uploaded = 0;
};

// Copies `src` to `dst` (tag or digest of dst). Fails naming the blob or manifest that failed.
core::Result<CopyResult> CopyImage(Client& client, const core::Reference& src,
                                   const core::Reference& dst, const CopyOptions& options,
                                   core::ProgressSink* progress = nullptr);

// The descriptors a manifest references (config first, then layers), minus foreign layers
// (non-distributable media types or layers with URLs), which registries do not hold.
std::vector<core::Descriptor> ManifestBlobs(const core::Manifest& manifest);

}  // namespace kiln::registry
