// The OCI distribution client: manifests (by tag or digest, raw bytes kept), blobs (verified
// pulls with Range resume, HEAD checks, monolithic and chunked resumable pushes, cross-repository
// mounts), manifest and index PUT, tag listing. One Client serves every registry of a process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/image.h"
#include "core/io.h"
#include "core/progress.h"
#include "core/reference.h"
#include "registry/blob_source.h"
#include "registry/session.h"

namespace kiln::registry {

struct ClientOptions {
  std::vector<std::string> insecure_registries;  // --insecure-registry
  std::string ca_cert;                           // --ca-cert
  std::string config_dir;  // docker config dir; "" = $DOCKER_CONFIG or ~/.docker
  std::vector<std::string> certs_dirs;  // "" = DefaultCertsDirs(config_dir)
  RetryPolicy retry;
  // --registry-timeout: deadline of one exchange in seconds (0 = none); blob transfers get
  // this plus their size at kMinBlobRate (session.h).
  int timeout_seconds = 120;
  int jobs = 4;                       // parallel blob transfers
  uint64_t chunk_size = 32ull << 20;  // blobs larger than this are pushed in PATCH chunks
  std::function<void(std::string_view)> debug_log;  // --debug; nullptr = quiet
};

// A manifest or index as the registry sent it: digests are of `bytes`.
struct FetchedManifest {
  std::string media_type;
  std::string bytes;
  core::Digest digest;

  core::Descriptor descriptor() const;
};

// How EnsureBlob made a blob present in the target repository.
enum class BlobOutcome { kPresent, kMounted, kUploaded };

// What EnsureBlob may use when the target lacks a blob.
struct BlobPlan {
  core::Descriptor descriptor;
  BlobSource* local = nullptr;  // the bytes held locally, if any (not owned)
  // Repositories known to hold the blob: mounted from when on the target's registry,
  // otherwise streamed from (the first one that works).
  std::vector<core::Reference> remotes;
};

class Client {
 public:
  explicit Client(ClientOptions options, std::shared_ptr<Transport> transport = nullptr);
  ~Client();

  // --- manifests ---
  // GET by tag or digest (ref.Identifier()), accepting OCI and Docker v2 manifests and indexes.
  // By digest, the bytes are verified against it. kNotFound when the registry has no such
  // manifest.
  core::Result<FetchedManifest> GetManifest(const core::Reference& ref);
  // HEAD: the descriptor (digest, media type, size), or nullopt when absent.
  core::Result<std::optional<core::Descriptor>> HeadManifest(const core::Reference& ref);
  // PUT under ref.Identifier() (tag, or the digest); returns the digest of `bytes` after
  // checking the registry computed the same.
  core::Result<core::Digest> PutManifest(const core::Reference& ref, std::string_view media_type,
                                         std::string_view bytes);
  // PutManifest for a manifest whose blobs `plans` describe: when the registry refuses it for
  // a blob (MANIFEST_BLOB_UNKNOWN, BLOB_UNKNOWN, DIGEST_INVALID), makes every blob present
  // again (EnsureBlobs: HEAD, re-upload what is missing) and PUTs once more.
  core::Result<core::Digest> PushManifest(const core::Reference& ref, std::string_view media_type,
                                          std::string_view bytes,
                                          const std::vector<BlobPlan>& plans,
                                          core::ProgressSink* progress = nullptr);
  // The same with the repair left to the caller: when the registry refuses the manifest for a
  // blob, `repair` makes what it references present (nullptr: no retry) and the PUT is tried
  // once more. For a manifest the registry already has (its blobs were not checked before the
  // PUT) but whose blob the registry has since lost.
  core::Result<core::Digest> PushManifest(const core::Reference& ref, std::string_view media_type,
                                          std::string_view bytes,
                                          const std::function<core::Status()>& repair);
  // Every tag of ref's repository (following pagination).
  core::Result<std::vector<std::string>> ListTags(const core::Reference& ref);

  // --- blobs ---
  // HEAD /blobs/<digest>: whether the repository has it.
  core::Result<bool> HasBlob(const core::Reference& repo, const core::Digest& digest);
  // Streams bytes [offset, size) of `desc` into `sink`, resuming with Range after dropped
  // connections. With offset 0, sink.Close() is called only after size and digest matched: a
  // mismatch or failure leaves the sink unclosed (discarded). With offset > 0 the caller (or
  // the registry the bytes go to) must verify. Progress goes to `progress` when given.
  // `sink_verifies`: the sink's Close() itself checks the digest (a store BlobWriter committing
  // with the expected digest), so the client only checks the size and skips its own hash.
  core::Status FetchBlob(const core::Reference& repo, const core::Descriptor& desc,
                         core::Writer& sink, core::ProgressSink* progress = nullptr,
                         uint64_t offset = 0, bool sink_verifies = false);
  // A small blob (a config) in memory, verified; fails past `limit` bytes.
  core::Result<std::string> FetchSmallBlob(const core::Reference& repo,
                                           const core::Descriptor& desc,
                                           size_t limit = 16 << 20);
  // Tries a cross-repository mount of `digest` from `from` into `repo` (same registry). True
  // when mounted; false when the registry declined (the upload it opened instead is cancelled).
  core::Result<bool> MountBlob(const core::Reference& repo, const core::Digest& digest,
                               const core::Reference& from);
  // Uploads `desc` from `source`: POST + PUT up to chunk_size, else chunked PATCH with
  // Content-Range, resuming from the registry's offset (GET upload status) after a failure.
  core::Status PushBlob(const core::Reference& repo, const core::Descriptor& desc,
                        BlobSource& source, core::ProgressSink* progress = nullptr);
  // Makes `plan.descriptor` present in `repo`: HEAD, else mount, else upload (local bytes
  // first, else streamed from a remote).
  core::Result<BlobOutcome> EnsureBlob(const core::Reference& repo, const BlobPlan& plan,
                                       core::ProgressSink* progress = nullptr);
  // EnsureBlob for every plan, options().jobs at a time.
  core::Status EnsureBlobs(const core::Reference& repo, const std::vector<BlobPlan>& plans,
                           core::ProgressSink* progress = nullptr);

  // --- registry ---
  // GET /v2/ with the client's credentials; fails with kUnauthorized when they are refused.
  core::Status CheckLogin(const std::string& registry, const std::string& repository_hint = "");

  const ClientOptions& options() const { return options_; }
  Session& session() { return *session_; }

  // Test hook: bytes of request bodies sent by PushBlob so far (all attempts).
  uint64_t upload_bytes_sent() const { return upload_bytes_sent_.load(); }

 private:
  core::Status UploadMonolithic(const core::Reference& repo, const core::Descriptor& desc,
                                BlobSource& source, class TransferProgress& progress);
  core::Status UploadChunked(const core::Reference& repo, const core::Descriptor& desc,
                             BlobSource& source, class TransferProgress& progress);
  core::Result<std::string> StartUpload(const core::Reference& repo, const std::string& what);
  core::Status FinishUpload(const core::Reference& repo, const core::Descriptor& desc,
                            const std::string& location, const std::string& what);

  ClientOptions options_;
  std::unique_ptr<Session> session_;
  std::atomic<uint64_t> upload_bytes_sent_{0};
};

// "/v2/<repository>/" + rest.
std::string RepoPath(const core::Reference& ref, std::string_view rest);

}  // namespace kiln::registry
