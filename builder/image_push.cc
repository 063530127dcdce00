// PushDescriptor and PushImage (builder/image_transfer.h).
#include <atomic>
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
  // A registry stores a manifest only once it holds everything it references.
  KILN_ASSIGN(auto existing, client.HeadManifest(dest.WithoutDigest().WithDigest(top.digest)));
  std::vector<std::unique_ptr<registry::BlobSource>> sources;
  std::vector<registry::BlobPlan> plans;  // stays empty when the manifest is there already
  if (!existing) {
    if (core::media::IsIndex(top.media_type)) {
      KILN_ASSIGN(auto index, core::Index::Parse(bytes, top.media_type));
      for (const auto& child : index.manifests)
        KILN_TRY(PushTree(client, store, child, dest.WithTag("").WithDigest(child.digest), progress,
                          counts, depth + 1));
    } else {
      KILN_ASSIGN(auto m, core::Manifest::Parse(bytes, top.media_type));
      KILN_ASSIGN(plans, PlanBlobs(store, m, sources));
      std::vector<registry::BlobOutcome> outcomes(plans.size());
      auto st = registry::ForEachParallel(plans.size(), client.options().jobs, [&](size_t i) -> core::Status {
        KILN_ASSIGN(outcomes[i], client.EnsureBlob(dest, plans[i], progress));
        return {};
      });
      KILN_TRY(st);
      for (auto o : outcomes)
        (o == registry::BlobOutcome::kPresent ? counts.present
         : o == registry::BlobOutcome::kMounted ? counts.mounted : counts.uploaded)++;
    }
  }
  // Retried once after re-checking the blobs when the registry says one is missing.
  KILN_ASSIGN(auto digest, client.PushManifest(dest, top.media_type, bytes, plans, progress));
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
