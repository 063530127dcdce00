// The state of a stage while it builds: the image config so far, the layer descriptors that go
// with config.diff_ids, where layers that are not in the local store can be found, and the
// cache key that chains every step so far.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/build_cache.h"
#include "core/digest.h"
#include "core/image.h"

namespace kiln::builder {

// Where the bytes of a layer live when they are not in the local store yet: an OCI layout
// directory (--build-context oci-layout://). Registry bases need no origin here: their layers
// are recorded in the store as fetchable/mountable from their repository.
struct LayerOrigin {
  std::string layout_dir;
};

struct ImageState {
  core::ImageConfig config;                // diff_ids and history included
  std::vector<core::Descriptor> layers;    // manifest layer descriptors, parallel to diff_ids
  std::vector<LayerOrigin> origins;        // parallel to layers; empty origin = local store
  core::Digest key;                        // build-cache key of this state
  std::string base_name;                   // what the stage started from, for messages
  size_t base_layers = 0;                  // how many of `layers` the FROM image brought
  core::Descriptor base_manifest;          // the base image's manifest ("" for scratch)
  // Directories this build's own layers created (target paths; Windows: case-folded), so a
  // COPY to "dest" without a trailing slash can tell a directory from a new file name.
  std::set<std::string> known_dirs;
  // Every layer step of this state's lineage (FROM <stage> included), for --cache-to mode=min.
  std::vector<CacheStepRecord> cache_steps;
  bool cmd_set = false;                    // CMD given in this stage (ENTRYPOINT keeps it)

  bool windows() const { return config.os == "windows"; }
  core::Platform platform() const { return config.platform(); }
};

}  // namespace kiln::builder
