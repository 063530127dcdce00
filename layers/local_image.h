// Images in a BlobStore: writing an image's config + manifest (+ index) as blobs, and loading a
// manifest with its config back. Used by tests, `kiln inspect`/`save`, and the builder.
#pragma once

#include <string>
#include <vector>

#include "core/image.h"
#include "layers/blob_store.h"

namespace kiln::layers {

struct LocalImage {
  core::Descriptor descriptor;  // of the manifest (platform from the config)
  std::string manifest_bytes;
  core::Manifest manifest;
  std::string config_bytes;
  core::ImageConfig config;
};

// Stores `config` (its rootfs.diff_ids must match `layers`) and a manifest over `layers`, and
// returns the manifest's descriptor with the config's platform. OCI media types, or Docker v2
// schema 2 with `docker_media_types`. The layers need not be local (known-but-not-local bases).
core::Result<core::Descriptor> PutImage(BlobStore& store, const core::ImageConfig& config,
                                        const std::vector<core::Descriptor>& layers,
                                        bool docker_media_types = false);
// Stores an index (OCI, or a Docker manifest list) over manifest descriptors with platforms.
core::Result<core::Descriptor> PutIndex(BlobStore& store,
                                        const std::vector<core::Descriptor>& manifests,
                                        bool docker_media_types = false);

// Loads the manifest at `descriptor` and its config. kInvalidInput when it is an index
// (use LoadIndex) or malformed; kNotFound when a blob is not local.
core::Result<LocalImage> LoadImage(BlobStore& store, const core::Descriptor& descriptor);
core::Result<core::Index> LoadIndex(BlobStore& store, const core::Descriptor& descriptor);

// Every image manifest under `descriptor` (itself, or the entries of an index, with their
// platforms), in index order; attestation manifests are left out.
core::Result<std::vector<core::Descriptor>> ManifestsOf(BlobStore& store,
                                                        const core::Descriptor& descriptor);

}  // namespace kiln::layers
