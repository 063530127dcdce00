// Progress events from long operations (build steps, blob transfers) to whatever renders them
// (cli/: live bars on a terminal, plain lines, or JSON). Sinks must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kiln::core {

enum class ProgressKind {
  kStart,     // a task begins (id, label, total if known)
  kProgress,  // bytes or items done so far (current/total)
  kDone,      // finished (seconds)
  kCached,    // skipped: result reused from the cache or already present remotely
  kLog,       // a line of output belonging to task `id` (e.g. RUN stdout)
  kWarning,   // something the user should know; does not fail
  kError,     // the task failed (text)
};

struct ProgressEvent {
  ProgressKind kind = ProgressKind::kLog;
  std::string id;     // stable task id ("#3", "sha256:abcd...")
  std::string label;  // human label ("[build 2/5] COPY app C:/app", "pushing layer")
  uint64_t current = 0;
  uint64_t total = 0;
  std::string text;     // kProgress: the phase ("hashing", "writing layer"); else the message
  double seconds = 0;
  uint64_t items = 0;        // kProgress: files (COPY/ADD) or layers (analyze, shrink) done
  uint64_t items_total = 0;  // ... of this many (0: unknown)
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Emit(const ProgressEvent& event) = 0;
  // Whether kProgress events are shown at all (false: quiet, or nobody renders): meters then
  // only count.
  virtual bool WantsProgress() const { return true; }
};

// Counts the files and bytes one task has done and reports them as kProgress events, at most
// every 100 ms (the renderer throttles further). Cheap enough to call per file or per chunk:
// a counter add and, when the sink shows progress, a clock read. One thread at a time.
class ProgressMeter {
 public:
  ProgressMeter(ProgressSink& sink, std::string id, std::string label);
  // Starts a phase (`text` names it); counters restart; totals 0 mean unknown. Emits at once.
  void Phase(std::string text, uint64_t items_total, uint64_t bytes_total);
  void Add(uint64_t items, uint64_t bytes) {
    items_ += items;
    bytes_ += bytes;
    if (live_) Tick();
  }
  uint64_t items() const { return items_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void Tick();
  void Send();
  ProgressSink& sink_;
  std::string id_, label_, phase_;
  bool live_;
  uint64_t items_ = 0, bytes_ = 0, items_total_ = 0, bytes_total_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

// A sink that drops every event.
ProgressSink& NullProgress();

}  // namespace kiln::core
