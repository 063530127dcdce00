// Client blob pushes: POST + PUT for blobs up to chunk_size, chunked PATCH with Content-Range
// above, resuming from the offset the registry reports after a failure; EnsureBlob(s) decide
// between "already there", a cross-repository mount and an upload.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

#include "registry/client.h"
#include "registry/parallel.h"
#include "registry/remote_blob_source.h"
#include "registry/transfer_progress.h"
#include "registry/url.h"
#include "registry/verifying_blob_source.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

// At most `limit` bytes of `inner`, counted into `sent`.
class ChunkReader : public core::Reader {
 public:
  ChunkReader(core::Reader& inner, uint64_t limit, std::atomic<uint64_t>& sent,
              TransferProgress& progress)
      : inner_(inner), left_(limit), sent_(sent), progress_(progress) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    if (left_ == 0) return size_t{0};
    KILN_ASSIGN(size_t n, inner_.Read(buffer, static_cast<size_t>(std::min<uint64_t>(size, left_))));
    if (n == 0)
      return Fail(ErrorCode::kIo, "the blob source ended " + std::to_string(left_) + " bytes early");
    left_ -= n;
    sent_ += n;
    progress_.Add(n);
    return n;
  }
 private:
  core::Reader& inner_;
  uint64_t left_;
  std::atomic<uint64_t>& sent_;
  TransferProgress& progress_;
};

// "0-1048575" -> 1048576 (the next offset); "0-0" -> 0 (docker-registry's answer for empty).
std::optional<uint64_t> NextOffset(const HttpResponse& r) {
  auto range = r.headers.Get("Range");
  if (!range) return std::nullopt;
  std::string_view v = *range;
  if (v.starts_with("bytes=")) v.remove_prefix(6);
  size_t dash = v.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint64_t end = 0;
  auto [p, ec] = std::from_chars(v.data() + dash + 1, v.data() + v.size(), end);
  if (ec != std::errc()) return std::nullopt;
  return end == 0 ? 0 : end + 1;
}

// The absolute URL of a Location header (checked when it is used, by Session::Send).
core::Result<std::string> LocationOf(const HttpResponse& r, const std::string& location,
                                     const std::string& what) {
  auto resolved = ResolveUrl(r.effective_url, location);
  if (!resolved) return Fail(ErrorCode::kNetwork, what + ": " + resolved.error().message);
  return *resolved;
}

// The upload is gone on the registry side (docker-registry drops an upload whose last PATCH
// broke off mid-body): start a new one.
bool UploadLost(int status) { return status == 400 || status == 404 || status == 416; }

}  // namespace

core::Result<std::string> Client::StartUpload(const core::Reference& repo, const std::string& what) {
  Call call;
  call.registry = repo.registry();
  call.method = "POST";
  call.target = RepoPath(repo, "blobs/uploads/");
  call.scopes = {PushScope(repo.repository())};
  call.what = what + " (starting the upload)";
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status != 202) return Fail(ResponseError(call, r));
  auto loc = r.headers.Get("Location");
  if (!loc) return Fail(ErrorCode::kNetwork, call.what + ": the registry sent no Location");
  auto resolved = ResolveUrl(r.effective_url, *loc);
  if (!resolved) return Fail(ErrorCode::kNetwork, call.what + ": " + resolved.error().message);
  return *resolved;
}

core::Status Client::FinishUpload(const core::Reference& repo, const core::Descriptor& desc,
                                  const std::string& location, const std::string& what) {
  Call call;
  call.registry = repo.registry();
  call.method = "PUT";
  call.target = location + (location.find('?') == std::string::npos ? "?" : "&") +
                "digest=" + UrlEncode(desc.digest.ToString());
  call.scopes = {PushScope(repo.repository())};
  call.open_body = [] { return core::Result<std::unique_ptr<core::Reader>>(nullptr); };
  call.what = what + " (completing the upload)";
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status != 201 && r.status != 204) return Fail(ResponseError(call, r));
  return {};
}

core::Status Client::PushBlob(const core::Reference& repo, const core::Descriptor& desc,
                              BlobSource& source, core::ProgressSink* progress_sink) {
  TransferProgress progress(progress_sink, desc.digest.ToString(), "push " + desc.digest.Short(),
                            static_cast<uint64_t>(desc.size));
  progress.Start();
  VerifyingBlobSource verified(source, desc);  // bad local bytes never complete an upload
  auto st = static_cast<uint64_t>(desc.size) > options_.chunk_size
                ? UploadChunked(repo, desc, verified, progress)
                : UploadMonolithic(repo, desc, verified, progress);
  if (!st) {
    progress.Error(st.error().message);
    return st;
  }
  progress.Done();
  return {};
}

core::Status Client::UploadMonolithic(const core::Reference& repo, const core::Descriptor& desc,
                                      BlobSource& source, TransferProgress& progress) {
  std::string what = "pushing blob " + desc.digest.ToString() + " to " + repo.Name();
  uint64_t size = static_cast<uint64_t>(desc.size);
  for (int attempt = 1;; ++attempt) {
    KILN_ASSIGN(std::string location, StartUpload(repo, what));
    std::unique_ptr<core::Reader> reader;
    Call call;
    call.registry = repo.registry();
    call.method = "PUT";
    call.target = location + (location.find('?') == std::string::npos ? "?" : "&") +
                  "digest=" + UrlEncode(desc.digest.ToString());
    call.headers.Add("Content-Type", "application/octet-stream");
    call.scopes = {PushScope(repo.repository())};
    call.body_size = size;
    call.retry = false;  // a broken PUT spoils the upload; the loop starts a new one
    call.what = what;
    call.open_body = [&]() -> core::Result<std::unique_ptr<core::Reader>> {
      KILN_ASSIGN(reader, source.Open(0));
      progress.Update(0);
      return std::make_unique<ChunkReader>(*reader, size, upload_bytes_sent_, progress);
    };
    NetFailure failure = NetFailure::kNone;
    call.failure_out = &failure;
    auto r = session_->Send(call);
    if (r && (r->status == 201 || r->status == 204)) return {};
    bool retryable = r ? IsRetryable(*r) : Transient(r.error(), failure);
    if (!retryable || attempt >= session_->retry().max_attempts)
      return Fail(r ? ResponseError(call, *r) : r.error());
    auto after = r ? r->headers.Get("Retry-After") : std::nullopt;
    auto delay = RetryDelay(session_->retry(), attempt,
                            after ? ParseRetryAfter(*after, std::time(nullptr)) : std::nullopt, 0.5);
    session_->Log(what + ": upload failed; starting again in " + std::to_string(delay.count()) + " ms");
    KILN_TRY(SleepUnlessCancelled(delay));
  }
}

core::Status Client::UploadChunked(const core::Reference& repo, const core::Descriptor& desc,
                                   BlobSource& source, TransferProgress& progress) {
  std::string what = "pushing blob " + desc.digest.ToString() + " to " + repo.Name();
  uint64_t size = static_cast<uint64_t>(desc.size);
  KILN_ASSIGN(std::string location, StartUpload(repo, what));
  std::unique_ptr<core::Reader> reader;
  uint64_t offset = 0;
  int failures = 0, restarts = 0;
  // The whole upload gets the deadline of one request for the full blob, so a registry that
  // keeps asking for the same bytes again cannot hold kiln forever.
  const int deadline = session_->DeadlineFor(size);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(deadline);
  while (offset < size) {
    if (deadline > 0 && std::chrono::steady_clock::now() >= give_up)
      return Fail(ErrorCode::kNetwork, what + ": not complete within " + std::to_string(deadline) +
                                           " s (at byte " + std::to_string(offset) + " of " +
                                           std::to_string(size) + ")");
    uint64_t n = std::min(options_.chunk_size, size - offset);
    Call call;
    call.registry = repo.registry();
    call.method = "PATCH";
    call.target = location;
    call.headers.Add("Content-Type", "application/octet-stream");
    call.headers.Add("Content-Range", std::to_string(offset) + "-" + std::to_string(offset + n - 1));
    call.scopes = {PushScope(repo.repository())};
    call.body_size = n;
    call.retry = false;  // the registry's state moved on; ask it where we are instead
    call.what = what;
    call.open_body = [&]() -> core::Result<std::unique_ptr<core::Reader>> {
      KILN_ASSIGN(reader, source.Open(offset));
      progress.Update(offset);
      return std::make_unique<ChunkReader>(*reader, n, upload_bytes_sent_, progress);
    };
    NetFailure failure = NetFailure::kNone;
    call.failure_out = &failure;
    auto r = session_->Send(call);
    reader.reset();
    if (r && r->status == 202) {
      if (auto loc = r->headers.Get("Location")) {
        KILN_ASSIGN(location, LocationOf(*r, *loc, what));
      }
      offset = NextOffset(*r).value_or(offset + n);
      failures = 0;
      continue;
    }
    bool retryable = r ? IsRetryable(*r) || UploadLost(r->status) : Transient(r.error(), failure);
    if (!retryable || ++failures >= session_->retry().max_attempts)
      return Fail(r ? ResponseError(call, *r) : r.error());
    auto after = r ? r->headers.Get("Retry-After") : std::nullopt;
    auto delay = RetryDelay(session_->retry(), failures,
                            after ? ParseRetryAfter(*after, std::time(nullptr)) : std::nullopt, 0.5);
    session_->Log(what + ": chunk at " + std::to_string(offset) + " failed (" +
                  (r ? "HTTP " + std::to_string(r->status) : r.error().message) +
                  "); asking the registry for its offset in " + std::to_string(delay.count()) + " ms");
    KILN_TRY(SleepUnlessCancelled(delay));
    Call status;
    status.registry = repo.registry();
    status.target = location;
    status.scopes = call.scopes;
    status.what = what + " (upload status)";
    KILN_ASSIGN(HttpResponse s, session_->Send(status));
    if (s.status == 204 || s.status == 200) {
      if (auto loc = s.headers.Get("Location")) {
        KILN_ASSIGN(location, LocationOf(s, *loc, what));
      }
      offset = NextOffset(s).value_or(0);
      session_->Log(what + ": the registry holds " + std::to_string(offset) + " bytes; resuming there");
    } else if (UploadLost(s.status) && ++restarts <= 3) {
      session_->Log(what + ": the registry dropped the upload (HTTP " + std::to_string(s.status) +
                    "); starting a new one");
      KILN_ASSIGN(location, StartUpload(repo, what));
      offset = 0;
    } else {
      return Fail(ResponseError(status, s));
    }
  }
  return FinishUpload(repo, desc, location, what);
}

core::Result<BlobOutcome> Client::EnsureBlob(const core::Reference& repo, const BlobPlan& plan,
                                             core::ProgressSink* progress_sink) {
  const core::Descriptor& d = plan.descriptor;
  TransferProgress progress(progress_sink, d.digest.ToString(), "push " + d.digest.Short(),
                            static_cast<uint64_t>(d.size));
  KILN_ASSIGN(bool present, HasBlob(repo, d.digest));
  if (present) {
    progress.Cached("exists");
    return BlobOutcome::kPresent;
  }
  for (const auto& from : plan.remotes) {
    if (from.registry() != repo.registry() || from.repository() == repo.repository()) continue;
    auto mounted = MountBlob(repo, d.digest, from);
    if (mounted && *mounted) {
      progress.Cached("mounted from " + from.repository());
      return BlobOutcome::kMounted;
    }
    if (!mounted) session_->Log("mount failed, uploading instead: " + mounted.error().message);
  }
  if (plan.local) {
    KILN_TRY(PushBlob(repo, d, *plan.local, progress_sink));
    return BlobOutcome::kUploaded;
  }
  std::optional<core::Error> last;
  for (const auto& from : plan.remotes) {
    RemoteBlobSource source(*this, from, d);
    auto st = PushBlob(repo, d, source, progress_sink);
    if (st) return BlobOutcome::kUploaded;
    last = st.error();
    if (st.error().code == ErrorCode::kCancelled) break;
  }
  if (last) return Fail(*last);
  return Fail(ErrorCode::kNotFound, "blob " + d.digest.ToString() +
                                        " is neither in the local store nor in a known repository");
}

core::Status Client::EnsureBlobs(const core::Reference& repo, const std::vector<BlobPlan>& plans,
                                 core::ProgressSink* progress) {
  return ForEachParallel(plans.size(), options_.jobs, [&](size_t i) -> core::Status {
    KILN_TRY(EnsureBlob(repo, plans[i], progress));
    return {};
  });
}

}  // namespace kiln::registry
