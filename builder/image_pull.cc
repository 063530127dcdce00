// PullImage, ResolveBaseImage and EnsureLocalBlob (builder/image_transfer.h).
#include <atomic>

#include "builder/image_transfer.h"
#include "core/media_types.h"
#include "registry/image_copy.h"
#include "registry/parallel.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;
using core::Fail;

// The sink FetchBlob closes only after verifying: closing commits the store blob.
class CommittingWriter : public core::Writer {
 public:
  CommittingWriter(layers::BlobWriter& w, const core::Descriptor& d) : w_(w), d_(d) {}
  core::Status Write(const void* data, size_t size) override { return w_.Write(data, size); }
  using core::Writer::Write;
  core::Status Close() override {
    auto committed = w_.Commit(d_.media_type, &d_.digest);
    // kConflict is the store's digest mismatch: the registry sent the wrong bytes, which is a
    // registry error (exit code 3), not bad input.
    if (!committed && committed.error().code == core::ErrorCode::kConflict)
      return core::Fail(core::ErrorCode::kNetwork,
                        "the registry sent bytes that do not match the digest (" +
                            committed.error().message + "); nothing was stored");
    if (!committed) return core::Fail(committed.error());
    return {};
  }

 private:
  layers::BlobWriter& w_;
  const core::Descriptor& d_;
};

layers::RemoteSource SourceOf(const core::Reference& ref) {
  return layers::RemoteSource{ref.registry(), ref.repository()};
}

// Fetches one blob from `repo` into the store, unless it is there already.
core::Result<bool> FetchIntoStore(registry::Client& client, layers::Store& store,
                                  const core::Reference& repo, const core::Descriptor& d,
                                  core::ProgressSink* progress) {
  if (store.Has(d.digest)) return false;
  KILN_ASSIGN(auto writer, store.NewWriter());
  CommittingWriter sink(*writer, d);
  // The store's Commit checks the digest before the blob appears: no second hash here.
  KILN_TRY(client.FetchBlob(repo, d, sink, progress, 0, /*sink_verifies=*/true));
  return true;
}

// Stores a manifest's exact bytes and records its blobs as available from `ref`.
core::Status StoreMetadata(layers::Store& store, const core::Reference& ref,
                           const registry::FetchedManifest& m, const core::Manifest& parsed) {
  KILN_ASSIGN(auto stored, layers::PutBlob(store, m.bytes, m.media_type));
  if (stored.digest != m.digest)
    return Fail(ErrorCode::kInternal, "stored manifest digest differs from the fetched one");
  for (const auto& l : registry::ManifestBlobs(parsed)) KILN_TRY(store.RecordRemote(l, SourceOf(ref)));
  return {};
}

}  // namespace

core::Result<PullResult> PullImage(registry::Client& client, layers::Store& store,
                                   const core::Reference& ref,
                                   const std::optional<core::Platform>& platform,
                                   core::ProgressSink* progress) {
  KILN_ASSIGN(auto resolved, registry::ResolveImage(client, ref, platform));
  PullResult result;
  result.reference = ref;
  result.manifest = resolved.manifest.descriptor();
  result.platform = resolved.platform;
  if (resolved.index) result.index_digest = resolved.index->digest;
  // The config came with the resolution (verified): store it rather than fetch it again.
  bool had_config = store.Has(resolved.parsed.config.digest);
  KILN_TRY(layers::PutBlob(store, resolved.config_bytes, resolved.parsed.config.media_type));
  auto blobs = registry::ManifestBlobs(resolved.parsed);
  std::atomic<int> fetched{had_config ? 0 : 1}, present{had_config ? 0 : -1};
  auto st = registry::ForEachParallel(blobs.size(), client.options().jobs, [&](size_t i) -> core::Status {
    KILN_ASSIGN(bool got, FetchIntoStore(client, store, ref, blobs[i], progress));
    (got ? fetched : present)++;
    return {};
  });
  if (!st) return Fail(st.error().Wrap("pulling " + ref.ToString()));
  KILN_TRY(StoreMetadata(store, ref, resolved.manifest, resolved.parsed));
  if (ref.has_tag()) KILN_TRY(store.Tag(ref.WithoutDigest().ToString(), result.manifest));
  result.blobs_fetched = fetched;
  result.blobs_present = present;
  return result;
}

core::Result<registry::ResolvedImage> ResolveBaseImage(registry::Client& client,
                                                       layers::Store& store,
                                                       const core::Reference& ref,
                                                       const std::optional<core::Platform>& platform) {
  KILN_ASSIGN(auto resolved, registry::ResolveImage(client, ref, platform));
  // The config was fetched (and verified) already: keep it, and the manifest, in the store.
  KILN_ASSIGN(auto config, layers::PutBlob(store, resolved.config_bytes, resolved.parsed.config.media_type));
  (void)config;
  KILN_TRY(StoreMetadata(store, ref, resolved.manifest, resolved.parsed));
  return resolved;
}

core::Status EnsureLocalBlob(registry::Client& client, layers::Store& store,
                             const core::Descriptor& blob, core::ProgressSink* progress) {
  if (store.Has(blob.digest)) return {};
  KILN_ASSIGN(auto sources, store.RemoteSources(blob.digest));
  if (sources.empty())
    return Fail(ErrorCode::kNotFound, "blob " + blob.digest.ToString() +
                                          " is not in the local store and no registry is known for it");
  std::optional<core::Error> last;
  for (const auto& s : sources) {
    auto ref = core::Reference::ParseName(s.registry + "/" + s.repository);
    if (!ref) continue;
    auto got = FetchIntoStore(client, store, *ref, blob, progress);
    if (got) return {};
    last = got.error();
  }
  return Fail(last ? *last : core::Error{ErrorCode::kNotFound, "no usable source", std::nullopt});
}

}  // namespace kiln::builder
