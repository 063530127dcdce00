// The build cache: step cache key -> the layer the step produced. Keys chain the parent state,
// the expanded instruction and (for COPY/ADD) the content hashes of the sources, so a rebuild
// with nothing changed reuses every layer and a changed file reruns only the steps after it.
// Records live in <store>/cache/steps/<key>.json; a record whose blob left the store misses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/error.h"
#include "core/image.h"
#include "core/platform.h"
#include "layers/blob_store.h"

namespace kiln::builder {

struct CachedLayer {
  core::Descriptor blob;  // compressed layer
  core::Digest diff_id;
  uint64_t tar_size = 0;
};

// One step as the exported caches (--cache-to) carry it: the chained key, the layer it
// produced (or reused), the platform it was built for.
struct CacheStepRecord {
  core::Digest key;
  CachedLayer layer;
  core::Platform platform;
};

class BuildCache {
 public:
  // `dir` = <store>/cache; `enabled` false (--no-cache) makes every lookup miss but still
  // records results, so the next build can use them.
  BuildCache(std::string dir, bool enabled) : dir_(std::move(dir)), enabled_(enabled) {}

  // The key of a state derived from `parent` by a step described by `material`.
  static core::Digest Chain(const core::Digest& parent, std::string_view material);

  // The layer recorded for `key`, if the record exists and its blob is in `store`.
  std::optional<CachedLayer> Lookup(const core::Digest& key, layers::BlobStore& store) const;
  // Records (atomically) that `key` produced `layer`.
  core::Status Record(const core::Digest& key, const CachedLayer& layer) const;

  // Steps whose key needs their sources' content (COPY/ADD from the context) also have a
  // `prefix`: the chain of everything in the key except that content. A key can only hit when
  // some earlier build recorded a step with the same prefix, so MayHit(prefix) false proves a
  // miss before any file is hashed, and the builder then hashes files while writing the layer
  // (one read each) instead of first. Any future lookup source besides steps/ (an imported
  // cache) must make MayHit answer true for what it could serve.
  bool MayHit(const core::Digest& prefix) const;
  core::Status RecordPrefix(const core::Digest& prefix) const;
  bool enabled() const { return enabled_; }

 private:
  std::string Path(const core::Digest& key) const;
  std::string PrefixPath(const core::Digest& prefix) const;
  std::string dir_;
  bool enabled_;
};

}  // namespace kiln::builder
