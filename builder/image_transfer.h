// Moving images between the local store (layers/) and registries (registry/): pull, push,
// base-image resolution for FROM without layer bytes, and fetching a base layer only when a step
// needs it. Only builder/ sees both sides (docs/architecture.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/image.h"
#include "core/platform.h"
#include "core/progress.h"
#include "core/reference.h"
#include "layers/store.h"
#include "registry/client.h"
#include "registry/resolve.h"

namespace kiln::builder {

struct PullResult {
  core::Reference reference;   // as asked
  core::Descriptor manifest;   // the image manifest now in the store (named by the reference)
  std::optional<core::Digest> index_digest;  // when the reference named an index
  core::Platform platform;
  int blobs_fetched = 0, blobs_present = 0;
};

// Pulls the image `ref` names (picked from an index for `platform`, see registry::ResolveImage)
// into `store`: blobs are verified before they are committed, and the name is set last, so a
// failure leaves no partial blob and no name. Every blob is recorded with `ref`'s repository as
// a remote source (for later mounts).
core::Result<PullResult> PullImage(registry::Client& client, layers::Store& store,
                                   const core::Reference& ref,
                                   const std::optional<core::Platform>& platform,
                                   core::ProgressSink* progress = nullptr);

// FROM resolution: fetches ref's manifest (for `platform`) and config into the store without
// any layer bytes, and records every layer as fetchable/mountable from ref's repository. The
// returned manifest and config are what a build starts from.
core::Result<registry::ResolvedImage> ResolveBaseImage(registry::Client& client,
                                                       layers::Store& store,
                                                       const core::Reference& ref,
                                                       const std::optional<core::Platform>& platform);

// Makes a blob local (a base layer a RUN step needs): fetched from its recorded remote
// sources, verified, then committed. No-op when already local; kNotFound without sources.
core::Status EnsureLocalBlob(registry::Client& client, layers::Store& store,
                             const core::Descriptor& blob, core::ProgressSink* progress = nullptr);

struct PushResult {
  core::Digest digest;  // of the manifest or index pushed
  std::string media_type;
  int blobs_present = 0, blobs_mounted = 0, blobs_uploaded = 0;
};

// Pushes the manifest or index `top` (in `store`) and everything it references to `dest`
// (tag or digest). Blobs the target lacks are uploaded from the store, or, for blobs the store
// knows but does not hold (base layers never downloaded), mounted from their recorded
// repository when it is on dest's registry, else streamed from it. Manifests go up byte for
// byte, children before the index. This is what `kiln push` and `kiln build --push` use.
core::Result<PushResult> PushDescriptor(registry::Client& client, layers::Store& store,
                                        const core::Descriptor& top, const core::Reference& dest,
                                        core::ProgressSink* progress = nullptr);

// PushDescriptor for a named image of the store.
core::Result<PushResult> PushImage(registry::Client& client, layers::Store& store,
                                   std::string_view name, const core::Reference& dest,
                                   core::ProgressSink* progress = nullptr);

}  // namespace kiln::builder
