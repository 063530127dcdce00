// PushDescriptor and PushImage (builder/image_transfer.h).
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "builder/image_transfer.h"
#include "core/media_types.h"
#include "registry/file_blob_source.h"
#include "registry/image_copy.h"
#include "registry/parallel.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;
using core::Fail;

struct Counts {
  std::atomic<int> present{0}, mounted{0}, uploaded{0};
};

// Where each blob of `m` can come from: the store's file when local, its recorded repositories.
core::Result<std::vector<registry::BlobPlan>> PlanBlobs(
    layers::Store& store, const core::Manifest& m,
    std::vector<std::unique_ptr<registry::BlobSource>>& sources) {
  std::vector<registry::BlobPlan> plans;
  for (const auto& d : registry::ManifestBlobs(m)) {
    registry::BlobPlan plan;
    plan.descriptor = d;
    if (store.Has(d.digest)) {
      sources.push_back(std::make_unique<registry::FileBlobSource>(store.BlobPath(d.digest),
                                                                 "the local store"));
      plan.local = sources.back().get();
    }
    KILN_ASSIGN(auto remotes, store.RemoteSources(d.digest));
    for (const auto& r : remotes)
      if (auto ref = core::Reference::ParseName(r.registry + "/" + r.repository)) plan.remotes.push_back(*ref);
    if (!plan.local && plan.remotes.empty())
      return Fail(ErrorCode::kNotFound, "blob " + d.digest.ToString() +
                                            " is neither in the local store nor known in a registry");
    plans.push_back(std::move(plan));
  }
  return plans;
}

core::Status PushTree(registry::Client& client, layers::Store& store, const core::Descriptor& top,
                      const core::Reference& dest, core::ProgressSink* progress, Counts& counts,
                      int depth) {
  if (depth > 4) return Fail(ErrorCode::kInvalidInput, "indexes nested too deeply");
  if (!store.Has(top.digest))
    return Fail(ErrorCode::kNotFound, "manifest " + top.digest.ToString() + " is not in the local store");
  KILN_ASSIGN(std::string bytes, layers::ReadBlob(store, top.digest));
  // A registry stores a manifest only once it holds everything it references, so one it has
  // is trusted: its blobs are not checked before the PUT. If the registry lost one since (a
  // deleted or garbage-collected blob under a manifest that stayed), the PUT is refused for it
  // (MANIFEST_BLOB_UNKNOWN): then the blobs are made present as for a new manifest and the PUT
  // is tried once more.
  KILN_ASSIGN(auto existing, client.HeadManifest(dest.WithoutDigest().WithDigest(top.digest)));
  std::vector<std::unique_ptr<registry::BlobSource>> sources;
  std::vector<registry::BlobPlan> plans;
  bool blobs_checked = false;
  auto ensure_references = [&]() -> core::Status {
    blobs_checked = true;
    if (core::media::IsIndex(top.media_type)) {
      KILN_ASSIGN(auto index, core::Index::Parse(bytes, top.media_type));
      for (const auto& child : index.manifests)
        KILN_TRY(PushTree(client, store, child, dest.WithTag("").WithDigest(child.digest), progress,
                          counts, depth + 1));
      return {};
    }
    KILN_ASSIGN(auto m, core::Manifest::Parse(bytes, top.media_type));
    KILN_ASSIGN(plans, PlanBlobs(store, m, sources));
    std::vector<registry::BlobOutcome> outcomes(plans.size());
    KILN_TRY(registry::ForEachParallel(plans.size(), client.options().jobs, [&](size_t i) -> core::Status {
      KILN_ASSIGN(outcomes[i], client.EnsureBlob(dest, plans[i], progress));
      return {};
    }));
    for (auto o : outcomes)
      (o == registry::BlobOutcome::kPresent ? counts.present
       : o == registry::BlobOutcome::kMounted ? counts.mounted : counts.uploaded)++;
    return {};
  };
  if (!existing) KILN_TRY(ensure_references());
  // Refused for a blob after the blobs were checked (seen with concurrent pushes): every blob
  // is checked again and the PUT retried once; refused for a manifest that was there: the
  // blobs are checked for the first time.
  std::function<core::Status()> repair;
  if (!blobs_checked)
    repair = ensure_references;
  else if (!core::media::IsIndex(top.media_type))
    repair = [&]() -> core::Status { return client.EnsureBlobs(dest, plans, progress); };
  KILN_ASSIGN(auto digest, client.PushManifest(dest, top.media_type, bytes, repair));
  if (digest != top.digest)
    return Fail(ErrorCode::kInternal, "the manifest's bytes do not hash to its descriptor's digest");
  return {};
}

}  // namespace

core::Result<PushResult> PushDescriptor(registry::Client& client, layers::Store& store,
                                        const core::Descriptor& top, const core::Reference& dest,
                                        core::ProgressSink* progress) {
  if (dest.has_digest() && dest.digest() != top.digest)
    return Fail(ErrorCode::kInvalidInput, "cannot push " + top.digest.ToString() + " as " +
                                              dest.ToString() + ": the target names another digest");
  Counts counts;
  auto st = PushTree(client, store, top, dest, progress, counts, 0);
  if (!st) return Fail(st.error().Wrap("pushing " + dest.ToString()));
  PushResult r;
  r.digest = top.digest;
  r.media_type = top.media_type;
  r.blobs_present = counts.present;
  r.blobs_mounted = counts.mounted;
  r.blobs_uploaded = counts.uploaded;
  return r;
}

core::Result<PushResult> PushImage(registry::Client& client, layers::Store& store,
                                   std::string_view name, const core::Reference& dest,
                                   core::ProgressSink* progress) {
  KILN_ASSIGN(auto top, store.Resolve(name));
  return PushDescriptor(client, store, top, dest, progress);
}

}  // namespace kiln::builder
