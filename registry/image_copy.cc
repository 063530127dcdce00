#include "registry/image_copy.h"

#include <atomic>

#include "core/media_types.h"
#include "registry/parallel.h"
#include "registry/resolve.h"

namespace kiln::registry {
namespace {

struct Counters {
  std::atomic<int> present{0}, mounted{0}, uploaded{0};
};

core::Status CopyBlobs(Client& client, const core::Reference& src, const core::Reference& dst,
                       const core::Manifest& m, core::ProgressSink* progress, Counters& counts) {
  auto blobs = ManifestBlobs(m);
  return ForEachParallel(blobs.size(), client.options().jobs, [&](size_t i) -> core::Status {
    BlobPlan plan;
    plan.descriptor = blobs[i];
    plan.remotes = {src};
    KILN_ASSIGN(BlobOutcome how, client.EnsureBlob(dst, plan, progress));
    (how == BlobOutcome::kPresent ? counts.present
     : how == BlobOutcome::kMounted ? counts.mounted : counts.uploaded)++;
    return {};
  });
}

// Copies one manifest or index (by its fetched bytes) and what it references, then PUTs it
// under `dst`'s identifier.
core::Status CopyTree(Client& client, const core::Reference& src, const core::Reference& dst,
                      const FetchedManifest& m, core::ProgressSink* progress, Counters& counts,
                      int depth) {
  if (depth > 4)
    return core::Fail(core::ErrorCode::kInvalidInput, src.ToString() + ": indexes nested too deeply");
  // Already there by digest: a registry only stores a manifest whose references it holds.
  KILN_ASSIGN(auto existing, client.HeadManifest(dst.WithoutDigest().WithDigest(m.digest)));
  if (!existing) {
    if (core::media::IsIndex(m.media_type)) {
      KILN_ASSIGN(auto index, core::Index::Parse(m.bytes, m.media_type));
      for (const auto& child : index.manifests) {
        core::Reference child_src = src.WithoutDigest().WithDigest(child.digest);
        KILN_ASSIGN(auto fetched, client.GetManifest(child_src));
        core::Reference child_dst = dst.WithTag("").WithDigest(child.digest);
        KILN_TRY(CopyTree(client, child_src, child_dst, fetched, progress, counts, depth + 1));
      }
    } else {
      KILN_ASSIGN(auto parsed, core::Manifest::Parse(m.bytes, m.media_type));
      KILN_TRY(CopyBlobs(client, src, dst, parsed, progress, counts));
    }
  }
  KILN_ASSIGN(auto digest, client.PutManifest(dst, m.media_type, m.bytes));
  (void)digest;
  return {};
}

}  // namespace

std::vector<core::Descriptor> ManifestBlobs(const core::Manifest& manifest) {
  std::vector<core::Descriptor> out{manifest.config};
  for (const auto& l : manifest.layers) {
    bool foreign = !l.urls.empty() || l.media_type.find("nondistributable") != std::string::npos ||
                   l.media_type.find(".foreign.") != std::string::npos;
    if (!foreign) out.push_back(l);
  }
  return out;
}

core::Result<CopyResult> CopyImage(Client& client, const core::Reference& src,
                                   const core::Reference& dst, const CopyOptions& options,
                                   core::ProgressSink* progress) {
  KILN_ASSIGN(FetchedManifest top, client.GetManifest(src));
  core::Reference from = src;
  if (options.platform && core::media::IsIndex(top.media_type)) {
    KILN_ASSIGN(auto resolved, ResolveImage(client, src, options.platform));
    top = resolved.manifest;
    from = src.WithoutDigest().WithDigest(top.digest);
  }
  if (dst.has_digest() && dst.digest() != top.digest)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "cannot copy " + top.digest.ToString() + " to " + dst.ToString() +
                          ": the target names another digest");
  Counters counts;
  auto st = CopyTree(client, from, dst, top, progress, counts, 0);
  if (!st) return core::Fail(st.error().Wrap("copying " + src.ToString() + " to " + dst.ToString()));
  CopyResult r;
  r.digest = top.digest;
  r.media_type = top.media_type;
  r.blobs_present = counts.present;
  r.blobs_mounted = counts.mounted;
  r.blobs_uploaded = counts.uploaded;
  return r;
}

}  // namespace kiln::registry
