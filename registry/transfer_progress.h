// Progress events of one blob transfer (start, bytes so far at most every 100 ms, done /
// present / error) sent to a core::ProgressSink; the renderer lives in cli/.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/io.h"
#include "core/progress.h"

namespace kiln::registry {

class TransferProgress {
 public:
  // `sink` may be nullptr (then nothing is emitted). `id` is stable ("sha256:..."), `label`
  // human ("push 3f2a9c81d0e4").
  TransferProgress(core::ProgressSink* sink, std::string id, std::string label, uint64_t total);

  void Start();
  // Sets the bytes done so far (may go back after a resume).
  void Update(uint64_t done);
  void Add(uint64_t bytes) { Update(done_ + bytes); }
  void Done();
  void Cached(const std::string& why);  // "exists", "mounted from r/x"
  void Error(const std::string& message);
  uint64_t done() const { return done_; }

 private:
  void Emit(core::ProgressKind kind, const std::string& text = "");
  core::ProgressSink* sink_;
  std::string id_, label_;
  uint64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point started_, last_emit_;
};

// A Reader that reports the bytes it passes to a TransferProgress.
class ProgressReader : public core::Reader {
 public:
  ProgressReader(core::Reader& inner, TransferProgress& progress) : inner_(inner), progress_(progress) {}
  core::Result<size_t> Read(void* buffer, size_t size) override;

 private:
  core::Reader& inner_;
  TransferProgress& progress_;
};

}  // namespace kiln::registry
