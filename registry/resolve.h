// Resolving a reference to one image: its manifest (picked from an index by platform, with the
// Windows os.version rule of core::SelectPlatform) and its config, without any layer bytes.
// This is what FROM needs, and what pull/inspect start from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/platform.h"
#include "core/reference.h"
#include "registry/client.h"

namespace kiln::registry {

struct ResolvedImage {
  core::Reference reference;             // as asked
  std::optional<FetchedManifest> index;  // the index the reference named, if it named one
  FetchedManifest manifest;              // the chosen image manifest, raw bytes
  core::Manifest parsed;                 // the same, parsed
  std::string config_bytes;              // raw config blob (digest = parsed.config.digest)
  core::ImageConfig config;
  core::Platform platform;               // from the config
};

// Fetches ref's manifest; from an index picks the entry for `want` (default: the host platform,
// else the only image in the index); then fetches the config. kNotFound names the platforms the
// index offers when none fits.
core::Result<ResolvedImage> ResolveImage(Client& client, const core::Reference& ref,
                                         const std::optional<core::Platform>& want);

// The entry of `index` for `want` (see ResolveImage). Entries without a "platform" field are
// resolved through their config; attestation manifests are skipped.
core::Result<core::Descriptor> SelectFromIndex(Client& client, const core::Reference& repo,
                                               const core::Index& index,
                                               const std::optional<core::Platform>& want);

// The platform of every usable entry of `index` (attestations get an empty os).
core::Result<std::vector<core::Platform>> IndexPlatforms(Client& client,
                                                         const core::Reference& repo,
                                                         const core::Index& index);

}  // namespace kiln::registry
