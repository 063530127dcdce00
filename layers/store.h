// The local image store (ARCHITECTURE "Where data lives"): an OCI image layout under --root
// (oci-layout, index.json naming images with org.opencontainers.image.ref.name, blobs/sha256/)
// plus cache/ (build cache), tmp/ (blobs being written) and remote/ (blobs known but not local,
// with the registry repositories they can be fetched or mounted from).
// Safe for concurrent kiln processes: blobs appear by rename, index.json changes under an
// flock, and prune runs only when no other process has the store open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/image.h"
#include "layers/blob_store.h"
#include "layers/file_lock.h"

namespace kiln::layers {

// A name in index.json and the manifest or index it points to.
struct StoreImage {
  std::string name;  // normalised: "docker.io/library/app:v1"
  core::Descriptor target;
};

// Where a blob that is not local can be fetched or cross-repository mounted from.
struct RemoteSource {
  std::string registry;    // "docker.io", "localhost:5000"
  std::string repository;  // "library/ubuntu"
  bool operator==(const RemoteSource&) const = default;
};

struct PruneReport {
  uint64_t blobs_removed = 0;
  uint64_t bytes_freed = 0;
  uint64_t temp_files_removed = 0;
  uint64_t remote_records_removed = 0;
  uint64_t unpacked_layers_removed = 0;  // the snapshotter's unpacked parents (snapshots/)
};

class Store : public BlobStore {
 public:
  // Opens the store at `root`, creating the layout when missing (a new root is 0700, every
  // directory in it is made 0700: image content is for this user only). Holds a shared lock on
  // root/gc.lock while open, and removes what killed kiln processes left in tmp/ (owned_temp.h).
  // kInvalidInput when the root belongs to another user or others can write it; kIo when the
  // directory cannot be created or written.
  static core::Result<std::unique_ptr<Store>> Open(const std::string& root);

  const std::string& root() const { return root_; }
  std::string cache_dir() const { return root_ + "/cache"; }
  std::string tmp_dir() const { return root_ + "/tmp"; }
  std::string BlobPath(const core::Digest& digest) const;

  // BlobStore (local bytes only; blobs are verified against their digest while read).
  bool Has(const core::Digest& digest) override;
  core::Result<uint64_t> Size(const core::Digest& digest) override;
  core::Result<std::unique_ptr<core::Reader>> Open(const core::Digest& digest) override;
  core::Result<std::unique_ptr<BlobWriter>> NewWriter() override;

  // Every named image, sorted by name.
  core::Result<std::vector<StoreImage>> List();
  // The manifest/index descriptor for a name ("app", "app:v1", "r.io/a/b@sha256:..."); names
  // are normalised docker-style. A digest reference resolves when that blob is local.
  // kNotFound (naming the normalised reference) otherwise.
  core::Result<core::Descriptor> Resolve(std::string_view name);
  // Points `name` (normalised; must carry a tag, "latest" by default) at `target`, replacing
  // an earlier target. The target blob must be local.
  core::Status Tag(std::string_view name, const core::Descriptor& target);
  // Removes a name; kNotFound when absent. Blobs stay until Prune.
  core::Status Untag(std::string_view name);

  // Records that `blob` (not local, or not yet) can be fetched from `source`. Idempotent.
  core::Status RecordRemote(const core::Descriptor& blob, const RemoteSource& source);
  // The recorded sources of a blob (empty when none).
  core::Result<std::vector<RemoteSource>> RemoteSources(const core::Digest& digest);

  // Deletes blobs not reachable from index.json or from any "sha256:<hex>" string in files
  // under cache/ (the build cache's contract), remote records of unreachable blobs, tmp/
  // files of writes that died, and unpacked layers (snapshots/) that neither a reachable config
  // nor the build cache names. kConflict when another kiln process has the store open.
  core::Result<PruneReport> Prune();

  // Normalises an image name as the store keys it ("app" -> "docker.io/library/app:latest").
  static core::Result<std::string> NormalizeName(std::string_view name);

 private:
  explicit Store(std::string root) : root_(std::move(root)) {}
  core::Result<std::vector<StoreImage>> ReadIndex();
  core::Status WriteIndex(const std::vector<StoreImage>& images);
  core::Result<FileLock> LockIndex();
  std::string RemotePath(const core::Digest& digest) const;

  std::string root_;
  FileLock gc_lock_;
};

// The annotation holding an image's name in index.json.
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

}  // namespace kiln::layers
