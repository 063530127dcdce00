// Progress events from long operations (build steps, blob transfers) to whatever renders them
// (cli/: live bars on a terminal, plain lines, or JSON). Sinks must be thread-safe.
#pragma once

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
  std::string text;
  double seconds = 0;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Emit(const ProgressEvent& event) = 0;
};

// A sink that drops every event.
ProgressSink& NullProgress();

}  // namespace kiln::core
