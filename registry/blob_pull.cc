// Client::FetchBlob: GET /blobs/<digest> into a Writer, hashing on the way, resuming with a
// Range request after a dropped connection, and closing (committing) the sink only after the
// size and digest matched.
#include <algorithm>
#include <chrono>

#include "registry/client.h"
#include "registry/transfer_progress.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

// Passes bytes to the sink and the hasher; drops the first `skip` bytes of a response that
// ignored our Range request; refuses bytes past the expected size.
class VerifyingWriter : public core::Writer {
 public:
  VerifyingWriter(core::Writer& sink, core::Hasher* hasher, uint64_t offset, uint64_t size,
                  TransferProgress& progress)
      : sink_(sink), hasher_(hasher), offset_(offset), size_(size), progress_(progress) {}

  core::Status Write(const void* data, size_t n) override {
    const char* p = static_cast<const char*>(data);
    if (skip_ > 0) {
      size_t drop = static_cast<size_t>(std::min<uint64_t>(skip_, n));
      skip_ -= drop;
      p += drop;
      n -= drop;
    }
    if (n == 0) return {};
    if (offset_ + n > size_)
      return Fail(ErrorCode::kNetwork, "the registry sent more than the " +
                                           std::to_string(size_) + " bytes of the blob");
    KILN_TRY(sink_.Write(p, n));
    if (hasher_) hasher_->Update(p, n);
    offset_ += n;
    progress_.Update(offset_);
    return {};
  }
  using core::Writer::Write;

  uint64_t offset() const { return offset_; }
  void set_skip(uint64_t skip) { skip_ = skip; }

 private:
  core::Writer& sink_;
  core::Hasher* hasher_;
  uint64_t offset_, size_, skip_ = 0;
  TransferProgress& progress_;
};

}  // namespace

core::Status Client::FetchBlob(const core::Reference& repo, const core::Descriptor& desc,
                               core::Writer& sink, core::ProgressSink* progress_sink,
                               uint64_t offset, bool sink_verifies) {
  uint64_t size = static_cast<uint64_t>(desc.size);
  TransferProgress progress(progress_sink, desc.digest.ToString(), "pull " + desc.digest.Short(),
                            size);
  progress.Start();
  std::optional<core::Hasher> hasher;
  if (offset == 0 && !sink_verifies) hasher.emplace(desc.digest.algorithm());
  VerifyingWriter writer(sink, hasher ? &*hasher : nullptr, offset, size, progress);
  Call call;
  call.registry = repo.registry();
  call.target = RepoPath(repo, "blobs/" + desc.digest.ToString());
  call.scopes = {PullScope(repo.repository())};
  call.follow_redirects = true;
  call.sink = &writer;
  NetFailure failure = NetFailure::kNone;
  call.failure_out = &failure;
  call.what = "pulling blob " + desc.digest.ToString() + " from " + repo.Name();
  int failures = 0;
  // The whole transfer, resumes included, has the deadline of one request for the full blob:
  // resuming after each stalled drip must not add up to forever.
  const int deadline = session_->DeadlineFor(size - offset);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(deadline);
  for (;;) {
    uint64_t start = writer.offset();
    call.transfer_size = size - start;
    call.headers.Remove("Range");
    if (start > 0) call.headers.Set("Range", "bytes=" + std::to_string(start) + "-");
    std::optional<core::Error> bad_range;
    call.on_headers = [&](int status, const Headers& h) {
      writer.set_skip(0);
      if (status == 200 && start > 0) writer.set_skip(start);  // Range ignored: skip what we have
      if (status == 206) {
        std::string cr = h.Get("Content-Range").value_or("");
        if (!cr.starts_with("bytes " + std::to_string(start) + "-"))
          bad_range = core::Error{ErrorCode::kNetwork,
                                  call.what + ": asked for bytes from " + std::to_string(start) +
                                      ", got Content-Range \"" + cr + "\"",
                                  std::nullopt};
      }
    };
    failure = NetFailure::kNone;
    auto r = session_->Send(call);
    if (bad_range) return Fail(*bad_range);
    if (r && r->success()) {
      if (writer.offset() >= size) break;
      r = Fail(ErrorCode::kNetwork, call.what + ": the body ended after " +
                                        std::to_string(writer.offset()) + " of " +
                                        std::to_string(size) + " bytes");
    }
    if (r && !r->success()) {
      progress.Error("HTTP " + std::to_string(r->status));
      return Fail(ResponseError(call, *r));
    }
    // A dropped connection: resume from where we are if the attempt made progress, else count
    // it against the retry budget.
    if (!Transient(r.error(), failure)) {
      progress.Error(r.error().message);
      return Fail(r.error());
    }
    failures = writer.offset() > start ? 1 : failures + 1;
    if (failures >= session_->retry().max_attempts) {
      progress.Error(r.error().message);
      return Fail(r.error());
    }
    if (deadline > 0 && std::chrono::steady_clock::now() >= give_up) {
      progress.Error("too slow");
      return Fail(ErrorCode::kNetwork,
                  call.what + ": not complete within " + std::to_string(deadline) + " s (" +
                      std::to_string(writer.offset()) + " of " + std::to_string(size) +
                      " bytes; blobs get --registry-timeout plus their size at 64 KiB/s): " +
                      r.error().message);
    }
    session_->Log(call.what + ": connection lost at byte " + std::to_string(writer.offset()) +
                  "; resuming with a Range request");
    KILN_TRY(SleepUnlessCancelled(RetryDelay(session_->retry(), failures, std::nullopt, 0.5)));
  }
  if (writer.offset() != size)
    return Fail(ErrorCode::kNetwork, call.what + ": got " + std::to_string(writer.offset()) +
                                         " bytes, expected " + std::to_string(size));
  if (hasher) {
    core::Digest got = hasher->Finish();
    if (got != desc.digest) {
      progress.Error("digest mismatch");
      return Fail(ErrorCode::kNetwork, call.what + ": the bytes hash to " + got.ToString() +
                                           "; nothing was stored");
    }
  }
  if (auto st = sink.Close(); !st) {
    progress.Error(st.error().message);
    return Fail(st.error().Wrap(call.what));
  }
  progress.Done();
  return {};
}

core::Result<std::string> Client::FetchSmallBlob(const core::Reference& repo,
                                                 const core::Descriptor& desc, size_t limit) {
  if (desc.size < 0 || static_cast<uint64_t>(desc.size) > limit)
    return Fail(ErrorCode::kInvalidInput, "blob " + desc.digest.ToString() + " of " + repo.Name() +
                                              " is larger than " + std::to_string(limit) + " bytes");
  core::StringWriter out;
  KILN_TRY(FetchBlob(repo, desc, out));
  return std::move(out.data());
}

}  // namespace kiln::registry
